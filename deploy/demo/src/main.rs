//! `kommon-demo`: the whole ecosystem on one machine, seeded with realistic French data through
//! the real protocols (sign-in and profile forms, Solid-OIDC tokens, outbox `Join`,
//! moderators' `Accept`), as the places will show it.
//!
//! The servers are separate processes (this binary started again as `serve-pods` or
//! `serve-cod`), so federation between them crosses real HTTP. Accounts and communities are
//! provisioned the way their administrators do it (what `pod-server create-pod`,
//! `create-client` and `cod-server create-community` do), everything after through HTTP: the
//! places' orientation settings too, on their orientation page after a Solid-OIDC login.

mod avatar;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use kommon_solid::oidc::jose::SigningKey;
use kommon_solid::oidc::verifier::now_secs;
use serde::Deserialize;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

#[derive(Parser)]
#[command(
    name = "kommon-demo",
    version,
    about = "Le démonstrateur Kommon / the Kommon demonstrator"
)]
struct Cli {
    /// Folder of the demonstrator's data.
    #[arg(long, default_value = "./demo-data")]
    data: PathBuf,
    /// First port: the pod-server listens on it, the community servers on the next ones.
    #[arg(long, default_value_t = 3000)]
    port_base: u16,
    /// Start afresh: the data folder is emptied first.
    #[arg(long)]
    reset: bool,
    #[command(subcommand)]
    role: Option<Role>,
}

#[derive(Subcommand)]
enum Role {
    /// (internal) Serve the pods.
    #[command(hide = true)]
    ServePods(pod_server::config::ServerConfig),
    /// (internal) Serve community pods.
    #[command(hide = true)]
    ServeCod(cod_server::config::ServerConfig),
}

#[derive(Deserialize)]
struct Seed {
    password: String,
    places: Vec<Place>,
    #[serde(default)]
    events: Vec<EventSeed>,
    moderators: Vec<Person>,
    residents: Vec<Person>,
    newcomer: Person,
    network: NetworkSeed,
    #[serde(default)]
    orientation: OrientationSeed,
    #[serde(default)]
    projects: Vec<ProjectSeed>,
}

/// A resident's project, which they offer to their place from their pod.
#[derive(Deserialize)]
struct ProjectSeed {
    author: String,
    place: String,
    name: String,
    summary: String,
    description: String,
}

/// What the places take, their calls for volunteers, and offers of help waiting.
#[derive(Deserialize, Default)]
struct OrientationSeed {
    settings: Vec<SettingsSeed>,
    calls: Vec<CallSeed>,
    offers: Vec<OfferSeed>,
}

#[derive(Deserialize)]
struct SettingsSeed {
    place: String,
    services: Vec<String>,
    skills: Vec<String>,
    capacity: u32,
    retention_days: u32,
}

#[derive(Deserialize)]
struct CallSeed {
    place: String,
    title: String,
    description: String,
    skills: Vec<String>,
    slots: Vec<SlotSeed>,
    commitment: String,
    wanted: u32,
    minors: bool,
    days_valid: i64,
    contact_name: String,
    contact_email: String,
}

#[derive(Deserialize)]
struct SlotSeed {
    day: String,
    start: String,
    end: String,
}

#[derive(Deserialize)]
struct OfferSeed {
    place: String,
    /// `service` for a request for help; an offer of help otherwise.
    #[serde(default)]
    kind: String,
    #[serde(default)]
    services: Vec<String>,
    name: String,
    email: String,
    message: String,
    dispo: Vec<String>,
    commune: String,
}

/// The network the places join (served by a cod-server of its own).
#[derive(Deserialize)]
struct NetworkSeed {
    slug: String,
    name: String,
    summary: String,
}

#[derive(Deserialize)]
struct Place {
    slug: String,
    name: String,
    server: String,
    summary: String,
    #[serde(default)]
    street: String,
    #[serde(default)]
    postal_code: String,
    #[serde(default)]
    locality: String,
    #[serde(default)]
    latitude: Option<f64>,
    #[serde(default)]
    longitude: Option<f64>,
}

/// An event a place publishes, dated from the day the demonstrator is seeded.
#[derive(Deserialize)]
struct EventSeed {
    place: String,
    name: String,
    content: String,
    in_days: u64,
    hour: u64,
    duration_hours: u64,
    capacity: u64,
}

#[derive(Deserialize, Clone)]
struct Person {
    name: String,
    display: String,
    #[serde(default)]
    place: Option<String>,
    #[serde(default)]
    role: Option<String>,
    bio: String,
    #[serde(default)]
    skills: Vec<String>,
    #[serde(default)]
    links: Vec<String>,
    commune: String,
}

const SEED: &str = include_str!("../seed.json");

/// A child server, stopped with SIGTERM (it then writes everything to disk).
struct Server {
    child: Child,
    name: &'static str,
}

impl Drop for Server {
    fn drop(&mut self) {
        // SAFETY: signalling a child we started and still own.
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(10) {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        eprintln!("{} ne s'arrête pas : arrêt forcé", self.name);
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn pod_config(data: &Path, port: u16) -> pod_server::config::ServerConfig {
    use clap::Parser;
    #[derive(Parser)]
    struct P {
        #[command(flatten)]
        c: pod_server::config::ServerConfig,
    }
    let mut c = P::parse_from(["x", "--dev"]).c;
    c.data = data.to_owned();
    c.listen = ([127, 0, 0, 1], port).into();
    c.resolve()
}

fn cod_config(data: &Path, port: u16) -> cod_server::config::ServerConfig {
    use clap::Parser;
    #[derive(Parser)]
    struct C {
        #[command(flatten)]
        c: cod_server::config::ServerConfig,
    }
    let mut c = C::parse_from(["x", "--dev"]).c;
    c.data = data.to_owned();
    c.listen = ([127, 0, 0, 1], port).into();
    c.resolve()
}

fn spawn(name: &'static str, args: &[String]) -> Result<Server> {
    let exe = std::env::current_exe()?;
    let child = Command::new(exe)
        .args(args)
        .env(
            "KOMMON_LOG",
            std::env::var("KOMMON_LOG").unwrap_or_else(|_| "warn".into()),
        )
        .stdout(Stdio::null())
        .spawn()
        .with_context(|| format!("starting {name}"))?;
    Ok(Server { child, name })
}

/// Waits until a server listens on `port`; how long since `since`.
fn wait_listening(port: u16, since: Instant) -> Result<Duration> {
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if since.elapsed() > Duration::from_secs(30) {
            bail!("the server on port {port} did not start");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    Ok(since.elapsed())
}

/// An account of the demonstrator, as written in `urls.json`.
struct Account {
    role: &'static str,
    place: Option<String>,
    person: Person,
    webid: String,
    client_id: String,
    client_secret: String,
}

/// Makes the accounts and the communities, as their administrators would.
fn provision(seed: &Seed, data: &Path, ports: [u16; 4]) -> Result<Vec<Account>> {
    let config = pod_config(&data.join("pods"), ports[0]);
    let store = pod_server::app::open_store(&config)?;
    let state = pod_server::app::AppState::new(store.clone(), config)?;
    let mut accounts = Vec::new();
    let people = seed
        .moderators
        .iter()
        .map(|p| {
            (
                if p.role.as_deref() == Some("admin") {
                    "admin"
                } else {
                    "moderator"
                },
                p,
            )
        })
        .chain(seed.residents.iter().map(|p| ("resident", p)))
        .chain(std::iter::once(("newcomer", &seed.newcomer)));
    for (role, p) in people {
        state
            .pods
            .create(&p.name, &p.display, &seed.password, None)?;
        let (client_id, client_secret) = state.oidc.clients.create_credentials(&p.name, "demo")?;
        accounts.push(Account {
            role,
            place: p.place.clone(),
            webid: state.pods.layout.webid(&p.name),
            person: p.clone(),
            client_id,
            client_secret,
        });
    }
    store.flush()?;
    drop(state);
    drop(store);
    for (server, port) in [("a", ports[1]), ("b", ports[2])] {
        let config = cod_config(&data.join(format!("cod-{server}")), port);
        let store = cod_server::app::open_store(&config)?;
        let state = cod_server::app::AppState::new(store.clone(), config)?;
        let fed = &state.federation;
        for place in seed.places.iter().filter(|p| p.server == server) {
            let admins: Vec<&Account> = accounts
                .iter()
                .filter(|a| a.role == "admin" && a.place.as_deref() == Some(place.slug.as_str()))
                .collect();
            let Some(first) = admins.first() else {
                bail!("{} has no admin in seed.json", place.slug);
            };
            let mut c = fed.registry.create(
                &place.slug,
                &place.name,
                &first.webid,
                kommon_activitypub::delivery::now_ms(),
            )?;
            // Its moderators, as `create-community --moderator` names them.
            c.moderators.extend(
                accounts
                    .iter()
                    .filter(|a| {
                        a.role == "moderator" && a.place.as_deref() == Some(place.slug.as_str())
                    })
                    .map(|a| a.webid.clone()),
            );
            c.summary = place.summary.clone();
            c.profile = kommon_community::PlaceProfile {
                street_address: place.street.clone(),
                postal_code: place.postal_code.clone(),
                locality: place.locality.clone(),
                latitude: place.latitude,
                longitude: place.longitude,
                ..Default::default()
            };
            fed.registry.save(&c)?;
            fed.community_keys.key_pair(&place.slug)?;
        }
        store.flush()?;
    }
    // The network: a community of its own server, made with `create-community --network`.
    let config = cod_config(&data.join("cod-net"), ports[3]);
    let store = cod_server::app::open_store(&config)?;
    let state = cod_server::app::AppState::new(store.clone(), config)?;
    let fed = &state.federation;
    let n = &seed.network;
    let admin = admin_of(&accounts, n.slug.as_str())?;
    let mut c = fed.registry.create(
        &n.slug,
        &n.name,
        &admin.webid,
        kommon_activitypub::delivery::now_ms(),
    )?;
    c.summary = n.summary.clone();
    c.network = true;
    fed.registry.save(&c)?;
    fed.community_keys.key_pair(&n.slug)?;
    store.flush()?;
    Ok(accounts)
}

/// The admin of place (or network) `slug` in the seed.
fn admin_of<'a>(accounts: &'a [Account], slug: &str) -> Result<&'a Account> {
    accounts
        .iter()
        .find(|a| a.role == "admin" && a.place.as_deref() == Some(slug))
        .with_context(|| format!("{slug} has no admin in seed.json"))
}

/// `r` when it is `201 Created`; otherwise an error saying `what` failed, with the answer.
async fn created(r: reqwest::Response, what: String) -> Result<reqwest::Response> {
    if r.status() != 201 {
        bail!(
            "{what}: {} {}",
            r.status(),
            r.text().await.unwrap_or_default()
        );
    }
    Ok(r)
}

/// A resident's Solid-OIDC session: a DPoP-bound token from their own pod's provider.
struct Session {
    token: String,
    key: SigningKey,
}

async fn session(http: &reqwest::Client, pods: &str, a: &Account) -> Result<Session> {
    let key = SigningKey::generate()?;
    let url = format!("{pods}/.oidc/token");
    let proof = key.dpop_proof("POST", &url, None, now_secs())?;
    let r = http
        .post(&url)
        .basic_auth(&a.client_id, Some(&a.client_secret))
        .header("dpop", proof)
        .form(&[
            ("grant_type", "client_credentials"),
            ("scope", "openid webid"),
        ])
        .send()
        .await?;
    let body: Value = r.json().await?;
    let token = body["access_token"]
        .as_str()
        .context("no access token")?
        .to_owned();
    Ok(Session { token, key })
}

impl Session {
    async fn post(
        &self,
        http: &reqwest::Client,
        url: &str,
        body: Value,
    ) -> Result<reqwest::Response> {
        let proof = self
            .key
            .dpop_proof("POST", url, Some(&self.token), now_secs())?;
        Ok(http
            .post(url)
            .header("authorization", format!("DPoP {}", self.token))
            .header("dpop", proof)
            .header("content-type", "application/activity+json")
            .body(body.to_string())
            .send()
            .await?)
    }

    async fn get(&self, http: &reqwest::Client, url: &str) -> Result<Value> {
        let proof = self
            .key
            .dpop_proof("GET", url, Some(&self.token), now_secs())?;
        Ok(http
            .get(url)
            .header("authorization", format!("DPoP {}", self.token))
            .header("dpop", proof)
            .send()
            .await?
            .json()
            .await?)
    }
}

/// Where a redirect or a `201 Created` points.
fn location(r: &reqwest::Response) -> Option<&str> {
    r.headers().get("location").and_then(|v| v.to_str().ok())
}

fn cookies_of(r: &reqwest::Response) -> String {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .collect::<Vec<_>>()
        .join("; ")
}

fn between<'a>(text: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let from = text.find(start)? + start.len();
    let len = text[from..].find(end)?;
    Some(&text[from..from + len])
}

/// A place's admin logs into a community server's pages as a browser does: the server sends
/// them to their pod's provider (Solid-OIDC), they sign in and consent, and come back with a
/// session; its cookie.
async fn cod_login(
    cod: &str,
    pods: &str,
    login: &str,
    password: &str,
    next: &str,
) -> Result<String> {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let r = http
        .post(format!("{cod}/.login"))
        .form(&[
            ("webid", format!("{pods}/{login}")),
            ("next", next.to_owned()),
        ])
        .send()
        .await?;
    let authorize = location(&r)
        .context("no redirect to the pod's provider")?
        .to_owned();
    let page = http.get(&authorize).send().await?.text().await?;
    let action = format!(
        "{pods}{}",
        between(&page, "<form method=\"post\" action=\"", "\"")
            .context("no login form")?
            .replace("&amp;", "&")
    );
    let r = http
        .post(&action)
        .form(&[
            ("username", login),
            ("password", password),
            ("action", "login"),
        ])
        .send()
        .await?;
    let pod_cookie = cookies_of(&r);
    let r = http
        .post(&action)
        .header("cookie", pod_cookie)
        .form(&[("decision", "allow")])
        .send()
        .await?;
    let callback = location(&r)
        .context("no redirect back from the consent")?
        .to_owned();
    let r = http.get(&callback).send().await?;
    let cookie = cookies_of(&r);
    if cookie.is_empty() {
        bail!("{login} could not log into {cod}: {}", r.status());
    }
    Ok(cookie)
}

/// Each place's admin says what it takes for orientation on its orientation page (services,
/// skills, capacity, retention), logged in through Solid-OIDC, as they would by hand.
async fn seed_orientation_settings(
    pods: &str,
    seed: &Seed,
    places: &[(String, String)],
) -> Result<()> {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    for st in &seed.orientation.settings {
        let place = places
            .iter()
            .find(|(s, _)| *s == st.place)
            .map(|(_, u)| u.clone())
            .context("an unknown place")?;
        let admin = seed
            .moderators
            .iter()
            .find(|m| {
                m.role.as_deref() == Some("admin") && m.place.as_deref() == Some(st.place.as_str())
            })
            .context("a place without admin")?;
        let base = place.trim_end_matches(&format!("/{}", st.place)).to_owned();
        let page = format!("{place}/orientation");
        let cookie = cod_login(
            &base,
            pods,
            &admin.name,
            &seed.password,
            &format!("/{}/orientation", st.place),
        )
        .await?;
        let text = http
            .get(&page)
            .header("cookie", &cookie)
            .send()
            .await?
            .text()
            .await?;
        let csrf = between(&text, "name=\"csrf\" value=\"", "\"")
            .context("no form on the orientation page")?
            .to_owned();
        let mut form: Vec<(String, String)> = vec![
            ("csrf".into(), csrf),
            ("action".into(), "reglages".into()),
            ("capacite".into(), st.capacity.to_string()),
            ("conservation".into(), st.retention_days.to_string()),
        ];
        form.extend(st.services.iter().map(|x| {
            (
                "services".to_owned(),
                format!("https://w3id.org/kommon/ns#{x}"),
            )
        }));
        form.extend(st.skills.iter().map(|x| {
            (
                "competences".to_owned(),
                format!("https://w3id.org/kommon/skills/{x}"),
            )
        }));
        let r = http
            .post(&page)
            .header("cookie", &cookie)
            .form(&form)
            .send()
            .await?;
        let to = location(&r).unwrap_or_default().to_owned();
        if r.status() != 303 || to.contains("erreur") {
            bail!(
                "{}'s orientation settings: {} {to} {}",
                st.place,
                r.status(),
                r.text().await.unwrap_or_default()
            );
        }
    }
    Ok(())
}

/// Fills a person's public profile through the pod's own forms (sign-in, then the profile).
async fn fill_profile(pods: &str, seed: &Seed, p: &Person) -> Result<()> {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let r = http
        .post(format!("{pods}/.account/login"))
        .form(&[
            ("username", p.name.as_str()),
            ("password", seed.password.as_str()),
            ("next", "/.account/pod"),
        ])
        .send()
        .await?;
    let cookie = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .collect::<Vec<_>>()
        .join("; ");
    if cookie.is_empty() {
        bail!("{} could not sign in", p.name);
    }
    let commune = pod_server::account::communes()
        .iter()
        .find(|c| c.iri.ends_with(&format!("commune-{}", p.commune)))
        .map(|c| c.iri.clone())
        .unwrap_or_default();
    let mut form = reqwest::multipart::Form::new()
        .text("name", p.display.clone())
        .text("bio", p.bio.clone())
        .text("links", p.links.join("\n"))
        .text("commune", commune)
        .text("public", "yes");
    for s in &p.skills {
        form = form.text("skill", format!("https://w3id.org/kommon/skills/{s}"));
    }
    form = form.part(
        "photo",
        reqwest::multipart::Part::bytes(avatar::png_for(&p.name)?)
            .file_name(format!("{}.png", p.name))
            .mime_str("image/png")?,
    );
    let r = http
        .post(format!("{pods}/.account/profile"))
        .header("cookie", cookie)
        .multipart(form)
        .send()
        .await?;
    if !r.status().is_success() {
        bail!(
            "{}'s profile: {} {}",
            p.name,
            r.status(),
            r.text().await.unwrap_or_default()
        );
    }
    Ok(())
}

/// Each place's admin publishes the place's events (over the next two months) through its outbox.
async fn seed_events(
    pods: &str,
    seed: &Seed,
    accounts: &[Account],
    places: &[(String, String)],
) -> Result<()> {
    let http = reqwest::Client::new();
    let day_ms = 86_400_000u64;
    let today = kommon_activitypub::delivery::now_ms() / day_ms * day_ms;
    for e in &seed.events {
        let place = places
            .iter()
            .find(|(s, _)| *s == e.place)
            .map(|(_, u)| u.clone())
            .context("an unknown place")?;
        let admin = admin_of(accounts, e.place.as_str())?;
        let start = today + e.in_days * day_ms + e.hour * 3_600_000;
        let end = start + e.duration_hours * 3_600_000;
        let name = seed
            .places
            .iter()
            .find(|p| p.slug == e.place)
            .map(|p| p.name.clone())
            .unwrap_or_default();
        let event = json!({
            "@context": "https://www.w3.org/ns/activitystreams", "type": "Event",
            "name": e.name, "content": e.content,
            "startTime": kommon_solid::storage::xsd_datetime(start),
            "endTime": kommon_solid::storage::xsd_datetime(end),
            "maximumAttendeeCapacity": e.capacity,
            "location": {"type": "Place", "name": name},
        });
        let s = session(&http, pods, admin).await?;
        let r = s.post(&http, &format!("{place}/outbox"), event).await?;
        created(r, format!("publishing {}", e.name)).await?;
    }
    Ok(())
}

/// The places' admins publish their calls for volunteers through their outbox; people offer
/// their help through the places' public forms.
async fn seed_orientation_live(
    pods: &str,
    seed: &Seed,
    accounts: &[Account],
    places: &[(String, String)],
) -> Result<()> {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let place_url = |slug: &str| {
        places
            .iter()
            .find(|(s, _)| s == slug)
            .map(|(_, u)| u.clone())
            .context("an unknown place")
    };
    let today = chrono::Utc::now().date_naive();
    for c in &seed.orientation.calls {
        let place = place_url(&c.place)?;
        let admin = admin_of(accounts, c.place.as_str())?;
        let slots: Vec<Value> = c
            .slots
            .iter()
            .map(|s| {
                let day = match s.day.as_str() {
                    "lundi" => "Monday",
                    "mardi" => "Tuesday",
                    "mercredi" => "Wednesday",
                    "jeudi" => "Thursday",
                    "vendredi" => "Friday",
                    "samedi" => "Saturday",
                    _ => "Sunday",
                };
                json!({"type": "schema:Schedule", "schema:byDay": [format!("schema:{day}")],
                       "schema:startTime": format!("{}:00", s.start), "schema:endTime": format!("{}:00", s.end),
                       "schema:repeatFrequency": "P1W"})
            })
            .collect();
        let call = json!({
            "@context": kommon_orientation::call::context(),
            "type": "Create",
            "object": {
                "type": ["Page", "kommon:CallForVolunteers"],
                "name": c.title,
                "content": c.description,
                "schema:description": c.description,
                "schema:employmentType": "VOLUNTEER",
                "schema:skills": c.skills.iter().map(|s| format!("kskill:{s}")).collect::<Vec<_>>(),
                "kommon:timeSlot": slots,
                "schema:workHours": c.commitment,
                "schema:totalJobOpenings": c.wanted,
                "schema:validThrough": (today + chrono::Duration::days(c.days_valid)).to_string(),
                "kommon:minorsAccepted": c.minors,
                "schema:applicationContact": {"type": "schema:ContactPoint",
                    "schema:name": c.contact_name, "schema:email": c.contact_email},
            },
        });
        let s = session(&http, pods, admin).await?;
        let r = s.post(&http, &format!("{place}/outbox"), call).await?;
        created(r, format!("publishing the call « {} »", c.title)).await?;
    }
    for f in &seed.orientation.offers {
        let place = place_url(&f.place)?;
        let mut form: Vec<(String, String)> = vec![
            ("nom".into(), f.name.clone()),
            ("courriel".into(), f.email.clone()),
            ("message".into(), f.message.clone()),
            (
                "commune".into(),
                format!("https://w3id.org/kommon/ns#{}", f.commune),
            ),
            ("consentement".into(), "on".into()),
        ];
        form.extend(f.dispo.iter().map(|d| ("dispo".to_owned(), d.clone())));
        form.extend(f.services.iter().map(|s| {
            (
                "services".to_owned(),
                format!("https://w3id.org/kommon/ns#{s}"),
            )
        }));
        let path = if f.kind == "service" {
            "coup-de-main"
        } else {
            "benevolat"
        };
        let r = http
            .post(format!("{place}/{path}"))
            .form(&form)
            .send()
            .await?;
        if r.status() != 303 {
            bail!(
                "the offer of {}: {} {}",
                f.name,
                r.status(),
                r.text().await.unwrap_or_default()
            );
        }
    }
    Ok(())
}

/// Residents ask to join their place from their pods; the places' admins approve.
async fn seed_memberships(
    pods: &str,
    accounts: &[Account],
    places: &[(String, String)],
) -> Result<()> {
    let http = reqwest::Client::new();
    let place_url = |slug: &str| {
        places
            .iter()
            .find(|(s, _)| s == slug)
            .map(|(_, u)| u.clone())
    };
    let mut joins = Vec::new();
    for a in accounts.iter().filter(|a| a.role == "resident") {
        let Some(slug) = &a.person.place else {
            continue;
        };
        let place = place_url(slug).context("an unknown place in seed.json")?;
        let s = session(&http, pods, a).await?;
        let r = s
            .post(
                &http,
                &format!("{pods}/{}/outbox", a.person.name),
                json!({"@context": "https://www.w3.org/ns/activitystreams", "type": "Join", "object": place, "to": [place],
                       "content": format!("Bonjour, je suis {} : {}", a.person.display, a.person.bio)}),
            )
            .await?;
        if r.status() != 201 {
            bail!("{}'s Join: {}", a.person.name, r.status());
        }
        let id = location(&r).unwrap_or_default().to_owned();
        joins.push((slug.clone(), place, id));
    }
    for (slug, place, join) in joins {
        approve(&http, pods, accounts, &slug, &place, &join).await?;
    }
    Ok(())
}

/// The place's admin waits for `activity` (a `Join`, an `Offer`) to reach the place's pending
/// requests, then accepts it through the place's outbox.
async fn approve(
    http: &reqwest::Client,
    pods: &str,
    accounts: &[Account],
    slug: &str,
    place: &str,
    activity: &str,
) -> Result<()> {
    let admin = admin_of(accounts, slug)?;
    let s = session(http, pods, admin).await?;
    let start = Instant::now();
    loop {
        let pending = s.get(http, &format!("{place}/pending?page=true")).await?;
        if pending.to_string().contains(activity) {
            break;
        }
        if start.elapsed() > Duration::from_secs(30) {
            bail!("the request {activity} never reached {slug}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let r = s
        .post(
            http,
            &format!("{place}/outbox"),
            json!({"type": "Accept", "object": activity}),
        )
        .await?;
    if r.status() != 201 {
        bail!("approving {activity}: {}", r.status());
    }
    Ok(())
}

/// Residents write their projects in their pods (a `pair:Project` posted to their outbox) and
/// offer them to their place (`Offer` with the place's `projects` as target); the place's admin
/// accepts.
async fn seed_projects(
    pods: &str,
    seed: &Seed,
    accounts: &[Account],
    places: &[(String, String)],
) -> Result<()> {
    let http = reqwest::Client::new();
    for p in &seed.projects {
        let place = places
            .iter()
            .find(|(s, _)| *s == p.place)
            .map(|(_, u)| u.clone())
            .context("an unknown place")?;
        let author = accounts
            .iter()
            .find(|a| a.person.name == p.author)
            .with_context(|| format!("no account {}", p.author))?;
        let s = session(&http, pods, author).await?;
        let outbox = format!("{pods}/{}/outbox", author.person.name);
        let r = s
            .post(
                &http,
                &outbox,
                json!({
                    "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/kommon/context.jsonld"],
                    "type": "pair:Project",
                    "name": p.name, "pair:label": p.name,
                    "summary": p.summary, "pair:comment": p.summary,
                    "content": p.description, "pair:description": p.description,
                    "pair:involves": [author.webid],
                    "to": ["https://www.w3.org/ns/activitystreams#Public"],
                }),
            )
            .await?;
        let r = created(r, format!("{}'s project « {} »", p.author, p.name)).await?;
        let create = location(&r)
            .context("no Location for the project")?
            .to_owned();
        let activity = s.get(&http, &create).await?;
        let object = activity["object"]
            .as_str()
            .or_else(|| activity["object"]["id"].as_str())
            .context("the Create names no object")?
            .to_owned();
        let r = s
            .post(
                &http,
                &outbox,
                json!({"@context": "https://www.w3.org/ns/activitystreams", "type": "Offer",
                       "object": object, "target": format!("{place}/projects"), "to": [place],
                       "content": format!("Notre projet « {} », pour la page du lieu.", p.name)}),
            )
            .await?;
        if r.status() != 201 {
            bail!("offering « {} »: {}", p.name, r.status());
        }
        let offer = location(&r)
            .context("no Location for the offer")?
            .to_owned();
        approve(&http, pods, accounts, &p.place, &place, &offer).await?;
    }
    Ok(())
}

/// Each place's admin asks the network to take the place in (the place's outbox); the
/// network's admin accepts; the network then follows and back-fills each place.
async fn seed_network(
    pods: &str,
    accounts: &[Account],
    places: &[(String, String)],
    network: &str,
    network_slug: &str,
) -> Result<()> {
    let http = reqwest::Client::new();
    for (slug, place) in places {
        let admin = admin_of(accounts, slug.as_str())?;
        let s = session(&http, pods, admin).await?;
        let r = s
            .post(
                &http,
                &format!("{place}/outbox"),
                json!({"type": "Join", "object": network,
                       "content": "Notre lieu souhaite rejoindre le réseau."}),
            )
            .await?;
        if r.status() != 201 {
            bail!(
                "{slug} asking to join the network: {} {}",
                r.status(),
                r.text().await.unwrap_or_default()
            );
        }
    }
    let admin = admin_of(accounts, network_slug)?;
    let s = session(&http, pods, admin).await?;
    let start = Instant::now();
    let mut accepted = 0;
    while accepted < places.len() {
        let pending = s
            .get(&http, &format!("{network}/pending?page=true"))
            .await?;
        for item in pending["orderedItems"].as_array().into_iter().flatten() {
            let id = item
                .as_str()
                .or_else(|| item["id"].as_str())
                .unwrap_or_default();
            let r = s
                .post(
                    &http,
                    &format!("{network}/outbox"),
                    json!({"type": "Accept", "object": id}),
                )
                .await?;
            if r.status() == 201 {
                accepted += 1;
            }
        }
        if start.elapsed() > Duration::from_secs(30) {
            bail!("only {accepted} places' requests reached the network");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(())
}

/// The guided tour the network shows on its home page: personas, what to do, what it shows.
fn tour(pods: &str, cod_a: &str, cod_b: &str, net: &str, password: &str) -> Value {
    let step = |fr: &str, en: &str, link: Option<String>| json!({"fr": fr, "en": en, "link": link});
    let le6b = format!("{cod_a}/le-6b");
    let query = format!(
        "{net}/sparql?query={}",
        url_encode(
            "PREFIX foaf: <http://xmlns.com/foaf/0.1/>\nPREFIX schema: <http://schema.org/>\nPREFIX skos: <http://www.w3.org/2004/02/skos/core#>\n\
SELECT ?nom ?competence WHERE { ?r a foaf:Person ; foaf:name ?nom ; schema:skills ?s . ?s skos:prefLabel ?competence FILTER(lang(?competence) = \"fr\") } ORDER BY ?nom LIMIT 100"
        )
    );
    json!({
        "intro_fr": format!("Ce réseau est un démonstrateur : tout ce qu'il montre a été créé par les vrais protocoles. Jouez ces personnes l'une après l'autre ; le mot de passe de tous les comptes est « {password} »."),
        "intro_en": "This network is a demonstrator: everything on it was made through the real protocols. Play these people one after the other; every account has the password above.",
        "personas": [
            {"who_fr": "Zoé, nouvelle venue", "who_en": "Zoé, a newcomer", "login": "zoe-nouvelle",
             "shows_fr": "Rejoindre un lieu depuis son propre pod.", "shows_en": "Joining a place from one's own pod.",
             "steps": [
                step("Connectez-vous à son pod.", "Log into her pod.", Some(format!("{pods}/.account/login"))),
                step(&format!("Section « Rejoindre un lieu » : l'adresse du 6B ({le6b}) et un message. La demande part de son pod (un Join ActivityPub)."),
                     "Section « Join a place »: Le 6B's address and a message; the request leaves from her pod.", Some(format!("{pods}/.account/pod?lieu={}#places", url_encode(&le6b)))),
             ]},
            {"who_fr": "Claire, modératrice du 6B", "who_en": "Claire, a moderator of Le 6B", "login": "claire-6b",
             "shows_fr": "Approuver une demande ; inviter les résident·es d'un tableur.", "shows_en": "Approving a request; inviting the residents of a spreadsheet.",
             "steps": [
                step(&format!("Ouvrez la modération, donnez le WebID {pods}/claire-6b : connexion sur son pod (Solid-OIDC)."),
                     "Open the moderation page and give her WebID: she logs in on her own pod.", Some(format!("{le6b}/moderation"))),
                step("Acceptez la demande de Zoé : elle entre dans la résidentothèque, la réponse arrive dans son pod.",
                     "Accept Zoé's request: she enters the directory of residents.", Some(le6b.clone())),
                step("Invitations : importez la liste CSV des résident·es ; les lignes fautives sont signalées, rien n'est publié avant leur accord.",
                     "Invitations: import the residents' CSV list; bad rows are reported, nothing is published before consent.", Some(format!("{le6b}/invitations"))),
             ]},
            {"who_fr": "Le public", "who_en": "The public", "login": null,
             "shows_fr": "Le résultat sur la carte, l'agenda et l'annuaire du réseau.", "shows_en": "The result on the network's map, agenda and directory.",
             "steps": [
                step("Zoé, acceptée, apparaît sur la carte dans la seconde.", "Zoé, once accepted, is on the map within a second.", Some(format!("{net}/carte"))),
                step("Les événements des lieux, par mois ou en liste, avec abonnements iCalendar et RSS.", "The places' events, with iCalendar and RSS feeds.", Some(format!("{net}/agenda"))),
                step("L'annuaire : résident·es, projets, lieux, appels.", "The directory: residents, projects, places, calls.", Some(format!("{net}/annuaire"))),
             ]},
            {"who_fr": "Yanis, bénévole", "who_en": "Yanis, a volunteer", "login": null,
             "shows_fr": "Répondre à un appel à bénévoles.", "shows_en": "Answering a call for volunteers.",
             "steps": [
                step("« travail du bois », le samedi matin : les appels des lieux, classés, avec leurs raisons.", "« travail du bois », Saturday mornings: the places' calls, ranked, with reasons.",
                     Some(format!("{net}/benevolat?message=travail+du+bois&dispo=sa-matin"))),
                step("« Proposer mon aide » : le formulaire du lieu, puis une page de suivi où l'on peut se retirer.", "« Offer my help »: the place's form, then a follow-up page.", None),
                step("Claire voit la proposition et les appels suggérés sur la page d'orientation du 6B.", "Claire sees it on Le 6B's orientation page.", Some(format!("{le6b}/orientation"))),
             ]},
            {"who_fr": "Mme Kaci, qui a besoin d'un coup de main", "who_en": "Mrs Kaci, who needs a hand", "login": null,
             "shows_fr": "Être orientée vers le bon lieu.", "shows_en": "Being directed to the right place.",
             "steps": [
                step("« mon vélo a un pneu crevé » : les lieux qui prennent ce type de demande et qui sait faire.", "« my bike has a flat tyre »: the places that take it and who can help.",
                     Some(format!("{net}/coup-de-main?message=mon+v%C3%A9lo+a+un+pneu+crev%C3%A9"))),
                step("« Envoyer ma demande » : le lieu le mieux placé la reçoit, le suivant si celui-ci décline (La Main : lea-lamain).", "« Send »: the best place receives it, the next if it declines.",
                     Some(format!("{cod_b}/la-main/orientation"))),
             ]},
            {"who_fr": "Le webmestre du 6B", "who_en": "Le 6B's webmaster", "login": "claire-6b",
             "shows_fr": "Intégrer Kommon au site du lieu.", "shows_en": "Embedding Kommon in the place's website.",
             "steps": [
                step("Administration, section « Intégrer Kommon à votre site » : les extraits à copier.", "Admin page, « Embed Kommon »: the snippets to copy.", Some(format!("{le6b}/admin"))),
                step("Un widget tel qu'il s'affiche : l'agenda du 6B.", "A widget as shown: Le 6B's agenda.", Some(format!("{cod_a}/embed/le-6b/agenda"))),
             ]},
            {"who_fr": "Une chercheuse", "who_en": "A researcher", "login": null,
             "shows_fr": "Interroger le graphe du réseau.", "shows_en": "Querying the network's graph.",
             "steps": [
                step("Le constructeur visuel de requêtes et l'éditeur SPARQL.", "The visual query builder and the SPARQL editor.", Some(format!("{net}/requetes"))),
                step("Une requête : les résident·es et leurs compétences.", "A query: residents and their skills.", Some(query)),
             ]},
        ],
    })
}

fn url_encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    match cli.role {
        Some(Role::ServePods(c)) => {
            init_logs();
            return pod_server::app::serve(c.resolve());
        }
        Some(Role::ServeCod(c)) => {
            init_logs();
            return cod_server::app::serve(c.resolve());
        }
        None => {}
    }
    let seed: Seed = serde_json::from_str(SEED).context("seed.json")?;
    if cli.reset && cli.data.exists() {
        std::fs::remove_dir_all(&cli.data)
            .with_context(|| format!("emptying {}", cli.data.display()))?;
    }
    std::fs::create_dir_all(&cli.data)?;
    let ports = [
        cli.port_base,
        cli.port_base + 1,
        cli.port_base + 2,
        cli.port_base + 3,
    ];
    let urls_file = cli.data.join("urls.json");
    let seeded = urls_file.exists();
    let started = Instant::now();
    let accounts = if seeded {
        Vec::new()
    } else {
        provision(&seed, &cli.data, ports)?
    };
    let data = cli.data.canonicalize()?;
    let arg = |s: &str| s.to_owned();
    let pods_url = format!("http://localhost:{}", ports[0]);
    let spawned = Instant::now();
    let _pods = spawn(
        "pod-server",
        &[
            arg("serve-pods"),
            arg("--dev"),
            arg("--data"),
            data.join("pods").display().to_string(),
            arg("--listen"),
            format!("127.0.0.1:{}", ports[0]),
        ],
    )?;
    let _cod_a = spawn(
        "cod-server (Le 6B, PHARES)",
        &[
            arg("serve-cod"),
            arg("--dev"),
            arg("--pod-provider"),
            pods_url.clone(),
            arg("--data"),
            data.join("cod-a").display().to_string(),
            arg("--listen"),
            format!("127.0.0.1:{}", ports[1]),
        ],
    )?;
    let _cod_b = spawn(
        "cod-server (La Main)",
        &[
            arg("serve-cod"),
            arg("--dev"),
            arg("--pod-provider"),
            pods_url.clone(),
            arg("--data"),
            data.join("cod-b").display().to_string(),
            arg("--listen"),
            format!("127.0.0.1:{}", ports[2]),
        ],
    )?;
    let tour_file = data.join("tour.json");
    std::fs::write(
        &tour_file,
        serde_json::to_string_pretty(&tour(
            &pods_url,
            &format!("http://localhost:{}", ports[1]),
            &format!("http://localhost:{}", ports[2]),
            &format!("http://localhost:{}", ports[3]),
            &seed.password,
        ))?,
    )?;
    let _cod_net = spawn(
        "cod-server (POT KOMMON)",
        &[
            arg("serve-cod"),
            arg("--dev"),
            arg("--tour"),
            tour_file.display().to_string(),
            arg("--data"),
            data.join("cod-net").display().to_string(),
            arg("--listen"),
            format!("127.0.0.1:{}", ports[3]),
        ],
    )?;
    let mut listening = Vec::new();
    for p in ports {
        listening.push(wait_listening(p, spawned)?);
    }
    let network_site = format!("http://localhost:{}", ports[3]);
    let network_actor = format!("{network_site}/{}", seed.network.slug);
    let places: Vec<(String, String)> = seed
        .places
        .iter()
        .map(|p| {
            let port = if p.server == "a" { ports[1] } else { ports[2] };
            (
                p.slug.clone(),
                format!("http://localhost:{port}/{}", p.slug),
            )
        })
        .collect();
    let runtime = tokio::runtime::Runtime::new()?;
    if !seeded {
        runtime.block_on(async {
            for a in &accounts {
                fill_profile(&pods_url, &seed, &a.person).await?;
            }
            seed_memberships(&pods_url, &accounts, &places).await?;
            seed_events(&pods_url, &seed, &accounts, &places).await?;
            seed_projects(&pods_url, &seed, &accounts, &places).await?;
            seed_orientation_settings(&pods_url, &seed, &places).await?;
            seed_orientation_live(&pods_url, &seed, &accounts, &places).await?;
            seed_network(
                &pods_url,
                &accounts,
                &places,
                &network_actor,
                &seed.network.slug,
            )
            .await
        })?;
        let urls = json!({
            "network": network_site,
            "network_actor": network_actor,
            "network_name": seed.network.name,
            "pod_server": pods_url,
            "places": places.iter().map(|(s, u)| (s.clone(), json!(u))).collect::<serde_json::Map<_, _>>(),
            "accounts": accounts.iter().map(|a| json!({
                "role": a.role, "place": a.place, "name": a.person.display, "login": a.person.name,
                "webid": a.webid, "password": seed.password,
                "client_id": a.client_id, "client_secret": a.client_secret,
            })).collect::<Vec<_>>(),
        });
        std::fs::write(&urls_file, serde_json::to_string_pretty(&urls)?)?;
    }
    let urls: Value = serde_json::from_slice(&std::fs::read(&urls_file)?)?;
    println!(
        "\nKommon, démonstrateur prêt en {:.1} s (données : {})",
        started.elapsed().as_secs_f64(),
        data.display()
    );
    println!(
        "Serveurs à l'écoute après / servers listening after : pods {:.2} s, lieux A {:.2} s, lieux B {:.2} s, réseau {:.2} s\n",
        listening[0].as_secs_f64(),
        listening[1].as_secs_f64(),
        listening[2].as_secs_f64(),
        listening[3].as_secs_f64()
    );
    println!(
        "  Réseau {} : {network_site}  (carte {network_site}/carte, agenda {network_site}/agenda, annuaire {network_site}/annuaire, requêtes {network_site}/requetes, je veux aider {network_site}/benevolat, coup de main {network_site}/coup-de-main)",
        seed.network.name
    );
    println!("  Pods des résident·es : {pods_url}  (connexion : {pods_url}/.account/login)");
    for (slug, url) in &places {
        println!(
            "  Lieu {slug:<8} : {url}  (modération : {url}/moderation, orientation : {url}/orientation)"
        );
    }
    println!(
        "\nComptes de démonstration (mot de passe commun : {}) :",
        seed.password
    );
    for a in urls["accounts"].as_array().into_iter().flatten() {
        let role = match a["role"].as_str().unwrap_or_default() {
            "admin" => "admin du lieu",
            "moderator" => "modération",
            "newcomer" => "nouvelle venue (sans lieu)",
            _ => "résident·e",
        };
        println!(
            "  {:<22} {:<28} {}",
            a["login"].as_str().unwrap_or_default(),
            role,
            a["place"].as_str().unwrap_or("")
        );
    }
    println!(
        "\nTout est dans {} ; Ctrl-C pour arrêter.",
        urls_file.display()
    );
    runtime.block_on(pod_server::app::shutdown_signal());
    println!("Arrêt…");
    Ok(())
}

fn init_logs() {
    kommon_activitypub::metrics::init_logs("warn");
}
