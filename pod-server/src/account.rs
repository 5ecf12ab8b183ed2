//! The resident's pod page, in French with English second: log in and out, edit the profile
//! (name, photo, short presentation, skills from Kommon's nomenclature, links, commune of
//! activity), see the apps that have access and revoke them, make client credentials, export
//! every document and file of the pod, delete the pod.
//!
//! The pages work without JavaScript. Forms are protected by the session cookie being
//! `SameSite=Lax` (never sent on another site's POST) and by a check of the `Origin` header.

use crate::app::{AppState, plain};
use crate::oidc::routes::{session_clear_cookie, session_cookie, session_pod, session_set_cookie};
use crate::pages::{escape, html, page};
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use kommon_rdf::model::vocab::rdf;
use kommon_rdf::model::{Graph, Literal, NamedNode, NamedOrBlankNode, Term, Triple};
use kommon_solid::resource::acl_url;
use kommon_solid::storage::{Conditions, Content, Placement, StorageError};
use serde::Deserialize;
use std::sync::OnceLock;

const PAIR: &str = "http://virtual-assembly.org/ontologies/pair#";
const VCARD: &str = "http://www.w3.org/2006/vcard/ns#";
const SCHEMA: &str = "http://schema.org/";
const KOMMON: &str = "https://w3id.org/kommon/ns#";
const SKOS: &str = "http://www.w3.org/2004/02/skos/core#";
const AS: &str = "https://www.w3.org/ns/activitystreams#";
const FOAF: &str = "http://xmlns.com/foaf/0.1/";

/// The largest photo accepted.
const MAX_PHOTO_BYTES: usize = 5 * 1024 * 1024;

/// A concept of a nomenclature: IRI, French label, English label, group (top concept label).
#[derive(Clone, Debug)]
pub struct Concept {
    /// Its IRI.
    pub iri: String,
    /// Its French label.
    pub fr: String,
    /// Its English label.
    pub en: String,
    /// The French label of its top concept.
    pub group: String,
}

fn labels(graph: &[Triple], subject: &str, lang: &str) -> Option<String> {
    graph.iter().find_map(|t| match (&t.subject, &t.object) {
        (NamedOrBlankNode::NamedNode(s), Term::Literal(l))
            if s.as_str() == subject
                && t.predicate.as_str() == format!("{SKOS}prefLabel")
                && l.language() == Some(lang) =>
        {
            Some(l.value().to_owned())
        }
        _ => None,
    })
}

fn concepts_of(ttl: &str, class: &str) -> Vec<Concept> {
    let Ok(triples) = kommon_rdf::codec::parse_graph(
        kommon_rdf::codec::RdfFormat::Turtle,
        ttl.as_bytes(),
        None,
        &kommon_rdf::codec::ParseLimits::default(),
        &kommon_rdf::jsonld::ContextLoader::bundled(),
    ) else {
        return Vec::new();
    };
    let subjects: Vec<String> = triples
        .iter()
        .filter(|t| t.predicate.as_str() == rdf::TYPE.as_str())
        .filter(|t| matches!(&t.object, Term::NamedNode(o) if o.as_str() == class))
        .filter_map(|t| match &t.subject {
            NamedOrBlankNode::NamedNode(s) => Some(s.as_str().to_owned()),
            _ => None,
        })
        .collect();
    let mut out: Vec<Concept> = subjects
        .iter()
        .map(|s| Concept {
            iri: s.clone(),
            fr: labels(&triples, s, "fr").unwrap_or_else(|| s.clone()),
            en: labels(&triples, s, "en").unwrap_or_default(),
            group: String::new(),
        })
        .collect();
    out.sort_by(|a, b| a.fr.cmp(&b.fr));
    out
}

/// The skills of Kommon's nomenclature (read by `kommon_vocab`'s `SkillScheme`), grouped under
/// their top concept.
pub fn skills() -> &'static [Concept] {
    static SKILLS: OnceLock<Vec<Concept>> = OnceLock::new();
    SKILLS.get_or_init(|| {
        let Ok(scheme) = kommon_vocab::SkillScheme::bundled() else {
            return Vec::new();
        };
        let mut out: Vec<Concept> = scheme
            .iter()
            .map(|s| {
                let top = scheme
                    .ancestors(s.iri.as_ref())
                    .last()
                    .map(|t| t.label_fr.clone())
                    .unwrap_or_else(|| s.label_fr.clone());
                Concept {
                    iri: s.iri.as_str().to_owned(),
                    fr: s.label_fr.clone(),
                    en: s.label_en.clone(),
                    group: top,
                }
            })
            .collect();
        out.sort_by(|a, b| (&a.group, &a.fr).cmp(&(&b.group, &b.fr)));
        out
    })
}

/// The communes of Kommon's vocabulary.
pub fn communes() -> &'static [Concept] {
    static COMMUNES: OnceLock<Vec<Concept>> = OnceLock::new();
    COMMUNES.get_or_init(|| concepts_of(kommon_vocab::ONTOLOGY_TTL, &format!("{KOMMON}Commune")))
}

fn same_origin(state: &AppState, headers: &HeaderMap) -> bool {
    match headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        None => true,
        Some(origin) => {
            let base =
                url::Url::parse(state.pods.layout.base()).map(|u| u.origin().ascii_serialization());
            base.is_ok_and(|b| b == origin)
        }
    }
}

fn no_store(mut r: Response) -> Response {
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r.headers_mut()
        .insert("x-frame-options", HeaderValue::from_static("DENY"));
    r
}

fn see_other(to: &str) -> Response {
    let mut r = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(to) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r
}

/// `next` targets must stay on this server.
fn local_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.to_owned(),
        _ => "/.account/pod".to_owned(),
    }
}

fn login_form(next: &str, error: Option<&str>, status: StatusCode) -> Response {
    let error = error
        .map(|e| {
            format!(
                "<div class=\"error\" role=\"alert\"><p>{}</p></div>",
                crate::pages::bilingual(e)
            )
        })
        .unwrap_or_default();
    no_store(html(
        status,
        page(
            "Se connecter — Kommon",
            &format!(
                "<h1>Se connecter à mon pod <span lang=\"en\" class=\"en\">/ Log in to my pod</span></h1>{error}\
<form method=\"post\" action=\"/.account/login\"><input type=\"hidden\" name=\"next\" value=\"{next}\">\
<label for=\"username\">Nom du pod <span lang=\"en\" class=\"en\">/ pod name</span></label>\
<input id=\"username\" name=\"username\" required autocomplete=\"username\">\
<label for=\"password\">Mot de passe <span lang=\"en\" class=\"en\">/ password</span></label>\
<input id=\"password\" name=\"password\" type=\"password\" required autocomplete=\"current-password\">\
<button type=\"submit\">Se connecter <span lang=\"en\">/ Log in</span></button></form>\
<p><a href=\"/.account/signup\">Créer un pod</a> · <a lang=\"en\" href=\"/.account/signup\">Create a pod</a></p>",
                next = escape(next)
            ),
        ),
    ))
}

/// The query of pages that come back somewhere.
#[derive(Deserialize, Default)]
pub struct NextQuery {
    #[serde(default)]
    next: Option<String>,
}

/// `GET /.account/login`.
pub async fn login_page(Query(q): Query<NextQuery>) -> Response {
    login_form(&local_next(q.next.as_deref()), None, StatusCode::OK)
}

fn form_fields(body: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(body).into_owned().collect()
}

fn field(fields: &[(String, String)], name: &str) -> String {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
        .unwrap_or_default()
}

/// The pod name whose password this is (argon2id, checked on the blocking pool); `None` when the
/// name or the password is wrong.
pub async fn check_password(state: &AppState, name: &str, password: &str) -> Option<String> {
    let pods = state.pods.clone();
    let name = name.trim().to_owned();
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || {
        pods.accounts
            .get(&name)
            .ok()
            .flatten()
            .filter(|a| crate::accounts::AccountStore::verify_password(a, &password))
            .map(|a| a.name)
    })
    .await
    .ok()
    .flatten()
}

/// `POST /.account/login`.
pub async fn login(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    if !same_origin(&state, &headers) {
        return plain(
            StatusCode::FORBIDDEN,
            "this form must be sent from this server's pages",
        );
    }
    let f = form_fields(&body);
    let next = local_next(Some(&field(&f, "next")));
    let Some(pod) = check_password(&state, &field(&f, "username"), &field(&f, "password")).await
    else {
        return login_form(
            &next,
            Some("Nom de pod ou mot de passe incorrect. / Wrong pod name or password."),
            StatusCode::UNAUTHORIZED,
        );
    };
    let session = match state.oidc.grants.open_session(&pod) {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(error = %e, "opening a session");
            return plain(StatusCode::INTERNAL_SERVER_ERROR, "the store failed");
        }
    };
    let mut r = see_other(&next);
    if let Ok(v) = HeaderValue::from_str(&session_set_cookie(&state.oidc, &session)) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    r
}

/// `POST /.account/logout`.
pub async fn logout(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(id) = session_cookie(&headers) {
        let _ = state.oidc.grants.close_session(&id);
    }
    let mut r = see_other("/.account/login");
    if let Ok(v) = HeaderValue::from_str(&session_clear_cookie()) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    r
}

/// The profile as the page shows it.
#[derive(Default, Debug, Clone)]
struct Profile {
    name: String,
    bio: String,
    photo: Option<String>,
    links: Vec<String>,
    skills: Vec<String>,
    commune: Option<String>,
    public: bool,
}

fn read_profile(state: &AppState, pod: &str) -> Profile {
    let url = state.pods.layout.data(pod, "profile");
    let mut p = Profile::default();
    let Ok(Some(stored)) = state.pods.resources.read(&url) else {
        return p;
    };
    let Content::Rdf(g) = stored.content else {
        return p;
    };
    for t in g.iter() {
        let pred = t.predicate.as_str();
        let value = match t.object {
            kommon_rdf::model::TermRef::NamedNode(n) => n.as_str().to_owned(),
            kommon_rdf::model::TermRef::Literal(l) => l.value().to_owned(),
            _ => continue,
        };
        match pred {
            p_ if p_ == format!("{VCARD}fn") => p.name = value,
            p_ if p_ == format!("{PAIR}comment") => p.bio = value,
            p_ if p_ == format!("{VCARD}photo") => p.photo = Some(value),
            p_ if p_ == format!("{PAIR}homePage") => p.links.push(value),
            p_ if p_ == format!("{SCHEMA}skills") => p.skills.push(value),
            p_ if p_ == format!("{KOMMON}commune") => p.commune = Some(value),
            _ => {}
        }
    }
    p.public = kommon_solid::wac::allows(
        &url,
        kommon_solid::wac::Requester::Anonymous,
        kommon_solid::wac::AccessMode::Read,
        &state.pods.resources,
    );
    p
}

fn section_apps(state: &AppState, pod: &str) -> String {
    let mut rows = String::new();
    if let Ok(apps) = state.apps.of_pod(pod) {
        for a in apps {
            rows.push_str(&format!(
                "<li><strong>{}</strong> <span class=\"en\">(application ActivityPods : <code>{}</code>)</span>\
<form method=\"post\" action=\"/.account/apps/revoke\" style=\"display:inline\"><input type=\"hidden\" name=\"app\" value=\"{}\">\
<button type=\"submit\" style=\"margin-top:.3rem\">Retirer l'accès <span lang=\"en\">/ Revoke</span></button></form></li>",
                escape(&a.name),
                escape(&a.app),
                escape(&a.app)
            ));
        }
    }
    if let Ok(consents) = state.oidc.grants.consents_of(pod) {
        for c in consents {
            rows.push_str(&format!(
                "<li><strong>{}</strong> <span class=\"en\">(connexion : <code>{}</code>)</span>\
<form method=\"post\" action=\"/.account/apps/revoke\" style=\"display:inline\"><input type=\"hidden\" name=\"client\" value=\"{}\">\
<button type=\"submit\" style=\"margin-top:.3rem\">Retirer l'accès <span lang=\"en\">/ Revoke</span></button></form></li>",
                escape(c.client_name.as_deref().unwrap_or(&c.client_id)),
                escape(&c.client_id),
                escape(&c.client_id)
            ));
        }
    }
    if rows.is_empty() {
        rows = "<li>Aucune application n'a accès à votre pod. <span lang=\"en\" class=\"en\">No app has access to your pod.</span></li>".to_owned();
    }
    format!(
        "<h2 id=\"apps\">Applications <span lang=\"en\" class=\"en\">/ Apps</span></h2><ul>{rows}</ul>"
    )
}

fn section_credentials(state: &AppState, pod: &str, fresh: Option<(&str, &str)>) -> String {
    let mut rows = String::new();
    if let Ok(list) = state.oidc.clients.credentials_of(pod) {
        for c in list {
            rows.push_str(&format!(
                "<li><strong>{}</strong> <code>{}</code>\
<form method=\"post\" action=\"/.account/credentials/delete\" style=\"display:inline\"><input type=\"hidden\" name=\"client_id\" value=\"{}\">\
<button type=\"submit\" style=\"margin-top:.3rem\">Supprimer <span lang=\"en\">/ Delete</span></button></form></li>",
                escape(c.metadata.client_name.as_deref().unwrap_or("")),
                escape(&c.metadata.client_id),
                escape(&c.metadata.client_id)
            ));
        }
    }
    let fresh = fresh
        .map(|(id, secret)| {
            format!(
                "<div class=\"ok\" role=\"status\"><p>Identifiants créés : notez le secret, il ne sera plus affiché. \
<span lang=\"en\">Credentials made: note the secret, it will not be shown again.</span></p>\
<p>client_id : <code id=\"client-id\">{}</code><br>client_secret : <code id=\"client-secret\">{}</code><br>émetteur / issuer : <code>{}</code></p></div>",
                escape(id),
                escape(secret),
                escape(&state.oidc.issuer)
            )
        })
        .unwrap_or_default();
    format!(
        "<h2 id=\"credentials\">Identifiants clients <span lang=\"en\" class=\"en\">/ Client credentials</span></h2>\
<p>Pour un script ou un service qui agit en votre nom (Solid-OIDC, client credentials). \
<span lang=\"en\" class=\"en\">For a script or a service acting on your behalf.</span></p>{fresh}<ul>{rows}</ul>\
<form method=\"post\" action=\"/.account/credentials\"><label for=\"label\">Nom des identifiants <span lang=\"en\" class=\"en\">/ label</span></label>\
<input id=\"label\" name=\"label\" required maxlength=\"40\" pattern=\"[A-Za-z0-9_\\-]+\">\
<button type=\"submit\">Créer <span lang=\"en\">/ Create</span></button></form>"
    )
}

fn pod_page(
    state: &AppState,
    pod: &str,
    notice: Option<&str>,
    fresh: Option<(&str, &str)>,
    status: StatusCode,
) -> Response {
    pod_page_with(state, pod, notice, None, fresh, status, "")
}

fn pod_page_with(
    state: &AppState,
    pod: &str,
    notice: Option<&str>,
    error: Option<&str>,
    fresh: Option<(&str, &str)>,
    status: StatusCode,
    join_place: &str,
) -> Response {
    let p = read_profile(state, pod);
    let webid = state.pods.layout.webid(pod);
    let notice = notice
        .map(|n| {
            format!(
                "<div class=\"ok\" role=\"status\"><p>{}</p></div>",
                crate::pages::bilingual(n)
            )
        })
        .unwrap_or_default()
        + &error
            .map(|e| {
                format!(
                    "<div class=\"error\" role=\"alert\"><p>{}</p></div>",
                    crate::pages::bilingual(e)
                )
            })
            .unwrap_or_default();
    let mut skill_html = String::new();
    let mut group = String::new();
    for (i, s) in skills().iter().enumerate() {
        if s.group != group {
            if !group.is_empty() {
                skill_html.push_str("</fieldset>");
            }
            group = s.group.clone();
            skill_html.push_str(&format!("<fieldset><legend>{}</legend>", escape(&group)));
        }
        skill_html.push_str(&format!(
            "<span style=\"display:inline-block;margin-right:1rem\"><input type=\"checkbox\" id=\"skill-{i}\" name=\"skill\" value=\"{}\"{}> \
<label for=\"skill-{i}\" style=\"display:inline;font-weight:400\" lang=\"fr\">{}</label></span>",
            escape(&s.iri),
            if p.skills.contains(&s.iri) { " checked" } else { "" },
            escape(&s.fr)
        ));
    }
    if !group.is_empty() {
        skill_html.push_str("</fieldset>");
    }
    let commune_options: String = std::iter::once(format!(
        "<option value=\"\"{}>—</option>",
        if p.commune.is_none() { " selected" } else { "" }
    ))
    .chain(communes().iter().map(|c| {
        format!(
            "<option value=\"{}\"{}>{}</option>",
            escape(&c.iri),
            if p.commune.as_deref() == Some(&c.iri) {
                " selected"
            } else {
                ""
            },
            escape(&c.fr)
        )
    }))
    .collect();
    let photo = p
        .photo
        .as_ref()
        // Through the page's own route: a private photo is not readable with the session cookie.
        .map(|_| "<p><img src=\"/.account/photo\" alt=\"Votre photo actuelle / your current photo\" style=\"max-width:8rem;border-radius:4px\"></p>".to_owned())
        .unwrap_or_default();
    let body = format!(
        "<h1>Mon pod <span lang=\"en\" class=\"en\">/ My pod</span></h1>{notice}\
<p>Votre WebID : <a href=\"{webid}\"><code>{webid}</code></a></p>\
<form method=\"post\" action=\"/.account/logout\"><button type=\"submit\" style=\"margin-top:0\">Se déconnecter <span lang=\"en\">/ Log out</span></button></form>\
<nav aria-label=\"Sections\"><ul><li><a href=\"#profile\">Profil</a></li><li><a href=\"#apps\">Applications</a></li>\
<li><a href=\"#places\">Lieux</a></li><li><a href=\"#credentials\">Identifiants clients</a></li><li><a href=\"#export\">Exporter</a></li><li><a href=\"#delete\">Supprimer le pod</a></li></ul></nav>\
<h2 id=\"profile\">Mon profil <span lang=\"en\" class=\"en\">/ My profile</span></h2>\
<form method=\"post\" action=\"/.account/profile\" enctype=\"multipart/form-data\">\
<label for=\"name\">Nom affiché <span lang=\"en\" class=\"en\">/ display name</span></label>\
<input id=\"name\" name=\"name\" required maxlength=\"200\" value=\"{name}\">\
<label for=\"bio\">Présentation courte (280 caractères) <span lang=\"en\" class=\"en\">/ short presentation</span></label>\
<textarea id=\"bio\" name=\"bio\" maxlength=\"280\" rows=\"3\" style=\"width:100%;font:inherit\">{bio}</textarea>\
{photo}<label for=\"photo\">Photo (image, 5 Mo au plus) <span lang=\"en\" class=\"en\">/ photo (image, 5 MB at most)</span></label>\
<input id=\"photo\" name=\"photo\" type=\"file\" accept=\"image/*\">\
<label for=\"links\">Liens, un par ligne <span lang=\"en\" class=\"en\">/ links, one per line</span></label>\
<textarea id=\"links\" name=\"links\" rows=\"3\" style=\"width:100%;font:inherit\">{links}</textarea>\
<label for=\"commune\">Commune où j'agis <span lang=\"en\" class=\"en\">/ commune where I am active</span></label>\
<select id=\"commune\" name=\"commune\" style=\"font:inherit;padding:.4rem\">{commune_options}</select>\
<h3>Compétences <span lang=\"en\" class=\"en\">/ skills</span></h3>{skill_html}\
<p><input type=\"checkbox\" id=\"public\" name=\"public\" value=\"yes\"{public}> <label for=\"public\" style=\"display:inline\">Rendre mon profil public \
<span lang=\"en\" class=\"en\">/ make my profile public</span></label><br>\
<span class=\"en\">Votre nom affiché reste toujours visible, dans votre WebID. \
<span lang=\"en\">Your display name is always visible, in your WebID.</span></span></p>\
<button type=\"submit\">Enregistrer <span lang=\"en\">/ Save</span></button></form>\
<h2 id=\"places\">Rejoindre un lieu <span lang=\"en\" class=\"en\">/ Join a place</span></h2>\
<p>Votre demande part de votre pod vers le lieu ; ses modérateurs l'acceptent ou la refusent, et la réponse arrive dans votre boîte. \
<span lang=\"en\" class=\"en\">Your request goes from your pod to the place; its moderators decide, and the answer comes to your inbox.</span></p>\
<form method=\"post\" action=\"/.account/join\">\
<label for=\"place\">Adresse du lieu <span lang=\"en\" class=\"en\">/ the place's address</span></label>\
<input id=\"place\" name=\"place\" type=\"url\" required placeholder=\"https://lieux.example/le-6b\" value=\"{join_place}\">\
<label for=\"message\">Message aux modérateurs <span lang=\"en\" class=\"en\">/ message to the moderators</span></label>\
<textarea id=\"message\" name=\"message\" maxlength=\"2000\" rows=\"3\" style=\"width:100%;font:inherit\"></textarea>\
<button type=\"submit\">Demander à rejoindre <span lang=\"en\">/ Ask to join</span></button></form>\
{apps}{credentials}\
<h2 id=\"export\">Exporter mes données <span lang=\"en\" class=\"en\">/ Export my data</span></h2>\
<p>Une archive (tar) de tous les documents de votre pod et de ses fichiers. <span lang=\"en\" class=\"en\">An archive of every document and file of your pod.</span></p>\
<ul><li><a href=\"/.account/export?format=turtle\">Archive Turtle (TriG)</a></li><li><a href=\"/.account/export?format=jsonld\">Archive JSON-LD</a></li></ul>\
<h2 id=\"delete\">Supprimer mon pod <span lang=\"en\" class=\"en\">/ Delete my pod</span></h2>\
<p>Tout sera effacé ; le nom restera réservé un an. Exportez d'abord vos données. <span lang=\"en\" class=\"en\">Everything will be erased; the name stays reserved for a year.</span></p>\
<form method=\"post\" action=\"/.account/delete\"><label for=\"confirm-password\">Votre mot de passe, pour confirmer <span lang=\"en\" class=\"en\">/ your password, to confirm</span></label>\
<input id=\"confirm-password\" name=\"password\" type=\"password\" required autocomplete=\"current-password\">\
<button type=\"submit\" style=\"background:#b00020\">Supprimer définitivement <span lang=\"en\">/ Delete for good</span></button></form>",
        webid = escape(&webid),
        name = escape(&p.name),
        bio = escape(&p.bio),
        links = escape(&p.links.join("\n")),
        public = if p.public { " checked" } else { "" },
        apps = section_apps(state, pod),
        credentials = section_credentials(state, pod, fresh),
    );
    no_store(html(status, page("Mon pod — Kommon", &body)))
}

/// The pod page's query: `lieu`, a place to ask to join (a place's invitation links here).
#[derive(Deserialize)]
pub struct PodQuery {
    lieu: Option<String>,
}

/// `GET /.account/pod`: the resident's page (the login form when not logged in).
pub async fn pod(
    State(state): State<AppState>,
    Query(q): Query<PodQuery>,
    headers: HeaderMap,
) -> Response {
    let place = q
        .lieu
        .filter(|l| kommon_activitypub::json::is_http_url(l) && l.len() <= 2048)
        .unwrap_or_default();
    match session_pod(&state, &headers) {
        Some(pod) => pod_page_with(
            &state,
            &pod,
            None,
            None,
            None,
            StatusCode::OK,
            &escape(&place),
        ),
        None if place.is_empty() => see_other("/.account/login?next=/.account/pod"),
        None => {
            let next = format!(
                "/.account/pod?lieu={}",
                form_urlencoded::byte_serialize(place.as_bytes()).collect::<String>()
            );
            see_other(&format!(
                "/.account/login?next={}",
                form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()
            ))
        }
    }
}

/// The logged-in resident of a form POST, or the answer refusing it.
fn resident(state: &AppState, headers: &HeaderMap) -> Result<String, Response> {
    if !same_origin(state, headers) {
        return Err(plain(
            StatusCode::FORBIDDEN,
            "this form must be sent from this server's pages",
        ));
    }
    session_pod(state, headers).ok_or_else(|| see_other("/.account/login?next=/.account/pod"))
}

struct ProfileForm {
    name: String,
    bio: String,
    links: Vec<String>,
    skills: Vec<String>,
    commune: Option<String>,
    public: bool,
    photo: Option<(Vec<u8>, String)>,
}

async fn parse_profile_form(content_type: &str, body: Bytes) -> Result<ProfileForm, String> {
    let mut fields: Vec<(String, String)> = Vec::new();
    let mut photo = None;
    if kommon_solid::resource::media_type_essence(content_type) == "multipart/form-data" {
        let boundary = multer::parse_boundary(content_type)
            .map_err(|e| format!("the form has no boundary: {e}"))?;
        let stream = futures::stream::once(async move { Ok::<_, std::io::Error>(body) });
        let mut form = multer::Multipart::new(stream, boundary);
        while let Some(f) = form
            .next_field()
            .await
            .map_err(|e| format!("the form is malformed: {e}"))?
        {
            let name = f.name().unwrap_or_default().to_owned();
            if name == "photo" {
                let ct = f
                    .content_type()
                    .map(|m| m.essence_str().to_owned())
                    .unwrap_or_default();
                let bytes = f
                    .bytes()
                    .await
                    .map_err(|e| format!("the photo could not be read: {e}"))?;
                if !bytes.is_empty() {
                    photo = Some((bytes.to_vec(), ct));
                }
            } else {
                let text = f
                    .text()
                    .await
                    .map_err(|e| format!("the form is malformed: {e}"))?;
                fields.push((name, text));
            }
        }
    } else {
        fields = form_fields(&body);
    }
    let all = |k: &str| {
        fields
            .iter()
            .filter(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .collect::<Vec<_>>()
    };
    let name = field(&fields, "name").trim().to_owned();
    if name.is_empty() || name.chars().count() > 200 {
        return Err("le nom affiché doit avoir de 1 à 200 caractères / the display name needs 1 to 200 characters".to_owned());
    }
    let bio = field(&fields, "bio").trim().to_owned();
    if bio.chars().count() > 280 {
        return Err("la présentation dépasse 280 caractères / the presentation is longer than 280 characters".to_owned());
    }
    let mut links = Vec::new();
    for l in field(&fields, "links")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
    {
        let ok = url::Url::parse(l).is_ok_and(|u| matches!(u.scheme(), "http" | "https"));
        if !ok {
            return Err(format!(
                "« {l} » n'est pas un lien http(s) / is not an http(s) link"
            ));
        }
        links.push(l.to_owned());
    }
    if links.len() > 10 {
        return Err("10 liens au plus / 10 links at most".to_owned());
    }
    let skills = all("skill");
    if let Some(bad) = skills
        .iter()
        .find(|s| !self::skills().iter().any(|k| &k.iri == *s))
    {
        return Err(format!(
            "{bad} n'est pas une compétence de la nomenclature / is not a skill of the nomenclature"
        ));
    }
    let commune = Some(field(&fields, "commune")).filter(|c| !c.is_empty());
    if let Some(c) = &commune
        && !communes().iter().any(|k| &k.iri == c)
    {
        return Err(format!(
            "{c} n'est pas une commune connue / is not a known commune"
        ));
    }
    if let Some((bytes, ct)) = &photo {
        if !ct.starts_with("image/") {
            return Err("la photo doit être une image / the photo must be an image".to_owned());
        }
        if bytes.len() > MAX_PHOTO_BYTES {
            return Err("la photo dépasse 5 Mo / the photo is larger than 5 MB".to_owned());
        }
    }
    Ok(ProfileForm {
        name,
        bio,
        links,
        skills,
        commune,
        public: field(&fields, "public") == "yes",
        photo,
    })
}

fn nn(iri: &str) -> Result<NamedNode, StorageError> {
    NamedNode::new(iri).map_err(|e| StorageError::Conflict(format!("{iri} is not an IRI: {e}")))
}

fn save_profile(state: &AppState, pod: &str, form: ProfileForm) -> Result<(), StorageError> {
    let l = &state.pods.layout;
    let rs = &state.pods.resources;
    let webid = l.webid(pod);
    let url = l.data(pod, "profile");
    let mut photo_url = read_profile(state, pod).photo;
    if let Some((bytes, ct)) = form.photo {
        let container = l.data(pod, "semapps/file/");
        let root = l.storage_root(&container);
        let outcome = rs.create_in(
            &container,
            Some("photo"),
            false,
            |_| {
                Ok(Content::Binary {
                    bytes,
                    content_type: ct,
                })
            },
            root.as_deref(),
        )?;
        // The former photo goes: it would otherwise stay readable with its old access rights.
        if let Some(former) = photo_url.take()
            && former.starts_with(&l.storage(pod))
        {
            match rs.delete(&former, &Conditions::default()) {
                Ok(()) | Err(StorageError::NotFound(_)) | Err(StorageError::Gone(_)) => {}
                Err(e) => return Err(e),
            }
        }
        photo_url = Some(outcome.url.clone());
    }
    let s = nn(&url)?;
    let mut g = Graph::new();
    let mut put = |p: &str, o: Term| -> Result<(), StorageError> {
        g.insert(&Triple::new(s.clone(), nn(p)?, o));
        Ok(())
    };
    put(
        rdf::TYPE.as_str(),
        nn(&format!("{VCARD}Individual"))?.into(),
    )?;
    put(rdf::TYPE.as_str(), nn(&format!("{AS}Profile"))?.into())?;
    put(rdf::TYPE.as_str(), nn(&format!("{PAIR}Person"))?.into())?;
    put(&format!("{AS}describes"), nn(&webid)?.into())?;
    put(
        &format!("{VCARD}fn"),
        Literal::new_simple_literal(&form.name).into(),
    )?;
    put(
        &format!("{PAIR}label"),
        Literal::new_simple_literal(&form.name).into(),
    )?;
    if !form.bio.is_empty() {
        put(
            &format!("{PAIR}comment"),
            Literal::new_simple_literal(&form.bio).into(),
        )?;
        put(
            &format!("{VCARD}note"),
            Literal::new_simple_literal(&form.bio).into(),
        )?;
    }
    if let Some(photo) = &photo_url {
        put(&format!("{VCARD}photo"), nn(photo)?.into())?;
        put(&format!("{PAIR}image"), nn(photo)?.into())?;
    }
    for link in &form.links {
        put(&format!("{PAIR}homePage"), nn(link)?.into())?;
    }
    for skill in &form.skills {
        put(&format!("{SCHEMA}skills"), nn(skill)?.into())?;
    }
    if let Some(c) = &form.commune {
        put(&format!("{KOMMON}commune"), nn(c)?.into())?;
    }
    rs.put(
        &url,
        Content::Rdf(g),
        &Conditions::default(),
        Placement::default(),
    )?;
    // Who may read it: the owner, and everyone when public (the photo follows the profile).
    for doc in std::iter::once(url.clone()).chain(photo_url.clone()) {
        let acl = acl_url(&doc);
        rs.put(
            &acl,
            Content::Rdf(crate::pod::acl_graph(
                &acl,
                &doc,
                &webid,
                false,
                form.public,
            )),
            &Conditions::default(),
            Placement::UNLISTED,
        )?;
    }
    // The WebID is also the actor fediverse servers show: it carries the name, and when the
    // profile is public the description (`summary`) and the picture (an `Image`, as Mastodon
    // reads `icon`).
    let name = form.name.clone();
    let bio = form.bio.clone();
    let photo_type = photo_url.as_ref().and_then(|u| {
        rs.meta(u)
            .ok()
            .flatten()
            .and_then(|m| m.content_type.clone())
    });
    rs.patch(&webid, &Conditions::default(), |g, exists| {
        if !exists {
            return Err(StorageError::NotFound(webid.clone()));
        }
        let w = nn(&webid)?;
        let replaced = [
            format!("{AS}name"),
            format!("{FOAF}name"),
            format!("{AS}icon"),
            format!("{AS}summary"),
        ];
        let is_webid = |t: &kommon_rdf::model::TripleRef<'_>| {
            matches!(t.subject, kommon_rdf::model::NamedOrBlankNodeRef::NamedNode(s) if s == w.as_ref())
        };
        // The former icon's own triples go with it.
        let old_icons: Vec<kommon_rdf::model::Term> = g
            .iter()
            .filter(|t| is_webid(t) && t.predicate.as_str() == format!("{AS}icon"))
            .map(|t| t.object.into_owned())
            .collect();
        let mut out: Graph = g
            .iter()
            .filter(|t| !(is_webid(t) && replaced.iter().any(|p| p == t.predicate.as_str())))
            .filter(|t| {
                !old_icons
                    .iter()
                    .any(|o| kommon_rdf::model::Term::from(t.subject.into_owned()) == *o)
            })
            .collect();
        out.insert(&Triple::new(w.clone(), nn(&format!("{AS}name"))?, Literal::new_simple_literal(&name)));
        out.insert(&Triple::new(w.clone(), nn(&format!("{FOAF}name"))?, Literal::new_simple_literal(&name)));
        if form.public && !bio.is_empty() {
            out.insert(&Triple::new(w.clone(), nn(&format!("{AS}summary"))?, Literal::new_simple_literal(&bio)));
        }
        if form.public && let Some(photo) = &photo_url {
            let icon = kommon_rdf::model::BlankNode::new_unchecked("icon");
            out.insert(&Triple::new(w, nn(&format!("{AS}icon"))?, icon.clone()));
            out.insert(&Triple::new(icon.clone(), nn(rdf::TYPE.as_str())?, nn(&format!("{AS}Image"))?));
            out.insert(&Triple::new(icon.clone(), nn(&format!("{AS}url"))?, nn(photo)?));
            if let Some(t) = &photo_type {
                out.insert(&Triple::new(icon, nn(&format!("{AS}mediaType"))?, Literal::new_simple_literal(t)));
            }
        }
        Ok(out)
    })?;
    Ok(())
}

/// `GET /.account/photo`: the logged-in resident's own photo, whatever its access rights.
pub async fn photo(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let Some(pod) = session_pod(&state, &headers) else {
        return plain(StatusCode::UNAUTHORIZED, "log in first");
    };
    let Some(url) = read_profile(&state, &pod).photo else {
        return plain(StatusCode::NOT_FOUND, "no photo");
    };
    if !url.starts_with(&state.pods.layout.storage(&pod)) {
        return plain(StatusCode::NOT_FOUND, "the photo is not in the pod");
    }
    match state.pods.resources.read(&url) {
        Ok(Some(stored)) => match stored.content {
            Content::Binary {
                bytes,
                content_type,
            } => (
                [
                    (header::CONTENT_TYPE, content_type),
                    (header::CACHE_CONTROL, "private, no-cache".to_owned()),
                ],
                bytes,
            )
                .into_response(),
            Content::Rdf(_) => plain(StatusCode::NOT_FOUND, "no photo"),
        },
        Ok(None) => plain(StatusCode::NOT_FOUND, "no photo"),
        Err(e) => {
            tracing::error!(error = %e, "reading a photo");
            plain(StatusCode::INTERNAL_SERVER_ERROR, "the store failed")
        }
    }
}

/// `POST /.account/profile`.
pub async fn profile(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let pod = match resident(&state, &headers) {
        Ok(p) => p,
        Err(r) => return r,
    };
    if body.len() > MAX_PHOTO_BYTES + 256 * 1024 {
        return plain(
            StatusCode::PAYLOAD_TOO_LARGE,
            "the form is larger than the 5 MB photo limit allows",
        );
    }
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let form = match parse_profile_form(&ct, body).await {
        Ok(f) => f,
        Err(e) => return pod_page_error(&state, &pod, &e),
    };
    let st = state.clone();
    let p = pod.clone();
    match tokio::task::spawn_blocking(move || save_profile(&st, &p, form)).await {
        Ok(Ok(())) => {
            // Apps watching the profile hear of the change as they would of an LDP write.
            let url = state.pods.layout.data(&pod, "profile");
            state.notifications.publish(&[crate::notifications::Change {
                kind: "Update",
                topic: url.clone(),
                object: url,
                state: None,
            }]);
            pod_page(
                &state,
                &pod,
                Some("Profil enregistré. / Profile saved."),
                None,
                StatusCode::OK,
            )
        }
        Ok(Err(e)) => {
            tracing::error!(error = %e, "saving a profile");
            pod_page_error(
                &state,
                &pod,
                "Le profil n'a pas pu être enregistré. / The profile could not be saved.",
            )
        }
        Err(e) => {
            tracing::error!(error = %e, "saving a profile");
            plain(StatusCode::INTERNAL_SERVER_ERROR, "the request failed")
        }
    }
}

fn pod_page_error(state: &AppState, pod: &str, error: &str) -> Response {
    pod_page_with(
        state,
        pod,
        None,
        Some(error),
        None,
        StatusCode::UNPROCESSABLE_ENTITY,
        "",
    )
}

/// `POST /.account/apps/revoke`: removes an app's registration or a login consent.
pub async fn revoke(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let pod = match resident(&state, &headers) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let f = form_fields(&body);
    let app = field(&f, "app");
    let client = field(&f, "client");
    if !app.is_empty() {
        let registry = state.apps.clone();
        let pods = state.pods.clone();
        let p = pod.clone();
        let a = app.clone();
        if let Ok(Err(e)) =
            tokio::task::spawn_blocking(move || registry.remove(&pods, &p, &a)).await
        {
            return pod_page_error(&state, &pod, &e.to_string());
        }
        let _ = state.oidc.grants.revoke_client(&pod, &app);
    }
    if !client.is_empty()
        && let Err(e) = state.oidc.grants.revoke_client(&pod, &client)
    {
        tracing::error!(error = %e, "revoking a client");
    }
    pod_page(
        &state,
        &pod,
        Some("Accès retiré. / Access revoked."),
        None,
        StatusCode::OK,
    )
}

/// `POST /.account/credentials`: makes client credentials and shows the secret once.
pub async fn create_credentials(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let pod = match resident(&state, &headers) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let label = field(&form_fields(&body), "label");
    if label.is_empty()
        || label.len() > 40
        || !label
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
    {
        return pod_page_error(
            &state,
            &pod,
            "Le nom des identifiants : 1 à 40 lettres, chiffres, - ou _. / The label: 1 to 40 letters, digits, - or _.",
        );
    }
    match state.oidc.clients.create_credentials(&pod, &label) {
        Ok((id, secret)) => pod_page(&state, &pod, None, Some((&id, &secret)), StatusCode::OK),
        Err(e) => {
            tracing::error!(error = %e, "making credentials");
            plain(StatusCode::INTERNAL_SERVER_ERROR, "the store failed")
        }
    }
}

/// `POST /.account/join`: asks to join a place, from the resident's own outbox (a `Join` as any
/// ActivityPub client would post it).
pub async fn join(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let pod = match resident(&state, &headers) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let f = form_fields(&body);
    let place = field(&f, "place");
    let message = field(&f, "message");
    if !kommon_activitypub::json::is_http_url(&place) || place.len() > 2048 {
        return pod_page_error(
            &state,
            &pod,
            "L'adresse du lieu doit être une adresse http(s). / The place's address must be an http(s) URL.",
        );
    }
    if message.chars().count() > 2000 {
        return pod_page_error(
            &state,
            &pod,
            "Le message : 2000 caractères au plus. / The message: at most 2000 characters.",
        );
    }
    let activity = serde_json::json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "type": "Join", "object": place, "to": [place], "content": message,
    });
    let credentials = kommon_solid::auth::Credentials {
        agent: state.pods.layout.webid(&pod),
        application: None,
        method: kommon_solid::auth::AuthMethod::SolidOidc,
    };
    let r = crate::federation::outbox::post(
        &state,
        &pod,
        activity.to_string().as_bytes(),
        Some(&credentials),
    )
    .await;
    if r.status() == StatusCode::CREATED {
        pod_page(
            &state,
            &pod,
            Some(
                "Demande envoyée : la réponse des modérateurs arrivera dans votre boîte. / Request sent.",
            ),
            None,
            StatusCode::OK,
        )
    } else {
        pod_page_error(
            &state,
            &pod,
            "La demande n'a pas pu partir. / The request could not be sent.",
        )
    }
}

/// `POST /.account/credentials/delete`.
pub async fn delete_credentials(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let pod = match resident(&state, &headers) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let id = field(&form_fields(&body), "client_id");
    match state.oidc.clients.get(&id) {
        Ok(Some(c)) if c.owner.as_deref() == Some(pod.as_str()) => {
            let _ = state.oidc.clients.remove(&id);
            let _ = state.oidc.grants.revoke_client(&pod, &id);
            pod_page(
                &state,
                &pod,
                Some("Identifiants supprimés. / Credentials deleted."),
                None,
                StatusCode::OK,
            )
        }
        _ => pod_page_error(
            &state,
            &pod,
            "Ces identifiants n'existent pas. / No such credentials.",
        ),
    }
}

/// The query of an export.
#[derive(Deserialize, Default)]
pub struct ExportQuery {
    #[serde(default)]
    format: Option<String>,
}

/// Every document of a pod as quads, and its files: the archive's content.
/// The archive of pod `pod` (a tar of every document, as TriG or JSON-LD, its files and a
/// manifest), as the pod page and `pod-server export-pod` give it.
pub fn export_archive(state: &AppState, pod: &str, jsonld: bool) -> Result<Vec<u8>, String> {
    let rs = &state.pods.resources;
    let webid = state.pods.layout.webid(pod);
    let mut urls = vec![webid.clone(), acl_url(&webid)];
    for entry in rs.resources_under(&format!("{webid}/")) {
        let (url, meta) = entry.map_err(|e| e.to_string())?;
        if meta.exists() {
            urls.push(url);
        }
    }
    let mut quads = Vec::new();
    let mut files: Vec<(String, Vec<u8>, String)> = Vec::new();
    for url in &urls {
        let Some(stored) = rs.read(url).map_err(|e| e.to_string())? else {
            continue;
        };
        match stored.content {
            Content::Rdf(g) => {
                let name = nn(url).map_err(|e| e.to_string())?;
                for t in g.iter() {
                    quads.push(t.into_owned().in_graph(name.clone()));
                }
            }
            Content::Binary {
                bytes,
                content_type,
            } => files.push((url.clone(), bytes, content_type)),
        }
    }
    let (doc_name, doc) = if jsonld {
        let v = kommon_rdf::jsonld::from_rdf(&quads).map_err(|e| e.to_string())?;
        (
            "pod.jsonld",
            serde_json::to_vec_pretty(&v).map_err(|e| e.to_string())?,
        )
    } else {
        (
            "pod.trig",
            kommon_rdf::codec::serialize_quads(kommon_rdf::codec::RdfFormat::TriG, &quads)
                .map_err(|e| e.to_string())?,
        )
    };
    let mut manifest = serde_json::json!({
        "pod": pod, "webid": webid, "exported_ms": kommon_solid::resource::now_ms(),
        "documents": doc_name, "files": [],
    });
    let mut tar = tar::Builder::new(Vec::new());
    let add = |tar: &mut tar::Builder<Vec<u8>>, path: &str, bytes: &[u8]| -> Result<(), String> {
        let mut h = tar::Header::new_gnu();
        h.set_size(bytes.len() as u64);
        h.set_mode(0o644);
        h.set_mtime(kommon_solid::resource::now_ms() / 1000);
        h.set_cksum();
        tar.append_data(&mut h, path, bytes)
            .map_err(|e| e.to_string())
    };
    add(&mut tar, doc_name, &doc)?;
    for (i, (url, bytes, ct)) in files.iter().enumerate() {
        let path = format!("files/{i:05}");
        add(&mut tar, &path, bytes)?;
        if let Some(list) = manifest["files"].as_array_mut() {
            list.push(serde_json::json!({"url": url, "path": path, "content_type": ct}));
        }
    }
    add(
        &mut tar,
        "manifest.json",
        &serde_json::to_vec_pretty(&manifest).map_err(|e| e.to_string())?,
    )?;
    tar.into_inner().map_err(|e| e.to_string())
}

/// `GET /.account/export?format=turtle|jsonld`: the archive of the logged-in resident's pod.
pub async fn export(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<ExportQuery>,
) -> Response {
    let Some(pod) = session_pod(&state, &headers) else {
        return see_other("/.account/login?next=/.account/pod");
    };
    let jsonld = match q.format.as_deref() {
        Some("jsonld") => true,
        Some("turtle") | None => false,
        Some(other) => {
            return plain(
                StatusCode::BAD_REQUEST,
                &format!("unknown format {other}: turtle or jsonld"),
            );
        }
    };
    let st = state.clone();
    let p = pod.clone();
    match tokio::task::spawn_blocking(move || export_archive(&st, &p, jsonld)).await {
        Ok(Ok(bytes)) => (
            [
                (header::CONTENT_TYPE, "application/x-tar".to_owned()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"pod-{pod}.tar\""),
                ),
                (header::CACHE_CONTROL, "no-store".to_owned()),
            ],
            bytes,
        )
            .into_response(),
        Ok(Err(e)) => {
            tracing::error!(error = %e, "exporting a pod");
            plain(StatusCode::INTERNAL_SERVER_ERROR, "the export failed")
        }
        Err(e) => {
            tracing::error!(error = %e, "exporting a pod");
            plain(StatusCode::INTERNAL_SERVER_ERROR, "the export failed")
        }
    }
}

/// `POST /.account/delete`: deletes the pod after the password is given again.
pub async fn delete(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let pod = match resident(&state, &headers) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let password = field(&form_fields(&body), "password");
    if check_password(&state, &pod, &password).await.is_none() {
        return pod_page_error(
            &state,
            &pod,
            "Mot de passe incorrect : le pod n'est pas supprimé. / Wrong password: the pod is not deleted.",
        );
    }
    match erase_pod(&state, &pod, std::time::Duration::from_secs(15)).await {
        Ok(()) => {
            if let Some(id) = session_cookie(&headers) {
                let _ = state.oidc.grants.close_session(&id);
            }
            let mut r = html(
                StatusCode::OK,
                page(
                    "Pod supprimé — Kommon",
                    "<h1>Votre pod est supprimé <span lang=\"en\" class=\"en\">/ Your pod is deleted</span></h1>\
<div class=\"ok\" role=\"status\"><p>Toutes vos données ont été effacées de ce serveur. \
<span lang=\"en\">All your data was erased from this server.</span></p></div><p><a href=\"/\">Accueil / Home</a></p>",
                ),
            );
            if let Ok(v) = HeaderValue::from_str(&session_clear_cookie()) {
                r.headers_mut().append(header::SET_COOKIE, v);
            }
            r
        }
        Err(e) => {
            tracing::error!(error = %e, "deleting a pod");
            pod_page_error(
                &state,
                &pod,
                "La suppression a échoué ; réessayez. / The deletion failed; try again.",
            )
        }
    }
}

/// Deletes pod `pod` and everything in it, the erasure told first: its `Delete` goes to its
/// followers, the actors it follows and the places it joined (waiting up to `wait` for it to
/// be delivered, while the pod's key still signs), then its apps, logins and credentials lose
/// their access, then its data is erased. The pod page and `pod-server delete-pod` both do it.
pub async fn erase_pod(
    state: &AppState,
    pod: &str,
    wait: std::time::Duration,
) -> Result<(), String> {
    let pod = pod.to_owned();
    // The fediverse learns first, while the pod's key still signs: places end the residency,
    // networks forget the person.
    if let Err(e) = crate::federation::outbox::announce_deletion(state, &pod, wait).await {
        tracing::error!(error = %e, "announcing a pod's deletion");
    }
    // Apps and logins lose their access first.
    if let Ok(apps) = state.apps.of_pod(&pod) {
        for a in apps {
            let registry = state.apps.clone();
            let pods = state.pods.clone();
            let p = pod.clone();
            let _ = tokio::task::spawn_blocking(move || registry.remove(&pods, &p, &a.app)).await;
        }
    }
    if let Ok(consents) = state.oidc.grants.consents_of(&pod) {
        for c in consents {
            let _ = state.oidc.grants.revoke_client(&pod, &c.client_id);
        }
    }
    if let Ok(creds) = state.oidc.clients.credentials_of(&pod) {
        for c in creds {
            let _ = state.oidc.clients.remove(&c.metadata.client_id);
        }
    }
    let pods = state.pods.clone();
    let p = pod.clone();
    match tokio::task::spawn_blocking(move || pods.delete(&p)).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(e.to_string()),
        Err(e) => Err(e.to_string()),
    }
}
