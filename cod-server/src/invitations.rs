//! A place arriving with its residents list: its admins import the spreadsheet's CSV export on
//! `/{slug}/invitations`; each good row becomes an invitation, sent by email when the server
//! has a mailer, and the bad rows are reported by line. Nothing is published: the person opens
//! `/{slug}/invitation/{token}`, names their pod, and asks to join from it; that `Join` is
//! approved at once in the name of the place's first admin (see `federation.rs`).

use crate::app::{AppState, plain};
use crate::login::redirect;
use crate::orientation::STYLE;
use crate::pages::esc;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use kommon_activitypub::delivery::now_ms;
use kommon_community::invitations::{
    INVITATION_DAYS, ImportReport, Invitation, InvitationError, InvitationStatus, MAX_CSV_BYTES,
};
use kommon_community::{Community, Role};
use serde::Deserialize;

/// A page about one person's invitation: never cached, never indexed (its address is the
/// invitation's secret).
fn page(title: &str, body: &str) -> Response {
    let mut r = crate::pages::page_with_head(
        title,
        "<meta name=\"robots\" content=\"noindex\"><meta name=\"referrer\" content=\"no-referrer\">",
        body,
    );
    r.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    r
}

fn valid_token(token: &str) -> bool {
    token.len() == 32 && token.chars().all(|c| c.is_ascii_hexdigit())
}

/// The link a person receives.
pub fn link(state: &AppState, i: &Invitation) -> String {
    format!(
        "{}/{}/invitation/{}",
        state.federation.base, i.community, i.token
    )
}

fn error_page(status: StatusCode, title: &str, message: &str) -> Response {
    let mut r = page(
        title,
        &format!(
            "{STYLE}<h1>{}</h1><p class=\"error\" role=\"alert\">{}</p>",
            esc(title),
            esc(message)
        ),
    );
    *r.status_mut() = status;
    r
}

fn refusal(e: &InvitationError) -> Response {
    let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::BAD_REQUEST);
    if status.is_server_error() {
        tracing::error!(error = %e, "invitations");
    }
    error_page(
        status,
        "Invitation refusée / Invitation refused",
        &e.to_string(),
    )
}

/// Emails each new invitation, one after the other, when the server has a mailer; how many
/// were handed to it.
pub fn send(state: &AppState, c: &Community, invited: &[Invitation]) -> usize {
    let messages = invited
        .iter()
        .map(|i| {
            (
                i.email.clone(),
                format!("{} vous invite dans sa résidentothèque", c.name),
                format!(
                    "Bonjour {name},\n\n{place} vous invite à rejoindre sa résidentothèque, l'annuaire de \
ses résident·es sur Kommon. Rien n'est publié tant que vous n'avez pas accepté : votre fiche \
viendra de votre propre pod, et c'est vous qui choisissez ce qu'il montre.\n\n\
Pour accepter ou refuser : {link}\n\nSans réponse, l'invitation et vos coordonnées sont effacées \
dans {days} jours.\n\n--\nHello {name}, {place} invites you to join its directory of residents \
on Kommon. Nothing is published until you accept: {link}\n",
                    name = i.name,
                    place = c.name,
                    link = link(state, i),
                    days = INVITATION_DAYS,
                ),
            )
        })
        .collect();
    crate::notify::tell_each(state, messages)
}

/// The admins' page query.
#[derive(Deserialize)]
pub struct Shown {
    fait: Option<String>,
}

fn status_cell(i: &Invitation) -> String {
    match &i.status {
        InvitationStatus::Sent => "Envoyée <span class=\"en\" lang=\"en\">(sent)</span>".into(),
        InvitationStatus::Claimed { webid, .. } => format!(
            "Pod indiqué, demande d'adhésion attendue <span class=\"en\" lang=\"en\">(pod named, waiting for the Join)</span> : {}",
            esc(webid)
        ),
        InvitationStatus::Accepted { webid, .. } => format!(
            "Acceptée <span class=\"en\" lang=\"en\">(accepted)</span> : <a href=\"{0}\">{0}</a>",
            esc(webid)
        ),
    }
}

fn report_html(report: &ImportReport, emailed: usize) -> String {
    let mut out = format!(
        "<div class=\"notice\" role=\"status\"><p><strong>{n} invitation{s} créée{s}</strong> <span class=\"en\" lang=\"en\">({n} invitation{s_en} made)</span>{mail}.</p></div>",
        n = report.invited.len(),
        s = if report.invited.len() > 1 { "s" } else { "" },
        s_en = if report.invited.len() == 1 { "" } else { "s" },
        mail = if emailed > 0 {
            format!(
                ", {emailed} envoyée(s) par courriel <span class=\"en\" lang=\"en\">(emailed)</span>"
            )
        } else {
            " ; envoyez à chacun·e son lien ci-dessous <span class=\"en\" lang=\"en\">(send each person their link below)</span>".into()
        }
    );
    if !report.problems.is_empty() {
        out.push_str(&format!(
            "<div class=\"error\" role=\"alert\"><p><strong>{} ligne(s) non importée(s)</strong> <span class=\"en\" lang=\"en\">(rows not imported)</span> :</p><table><thead><tr><th scope=\"col\">Ligne <span class=\"en\" lang=\"en\">(line)</span></th><th scope=\"col\">Problème <span class=\"en\" lang=\"en\">(problem)</span></th></tr></thead><tbody>",
            report.problems.len()
        ));
        for p in &report.problems {
            out.push_str(&format!(
                "<tr><td>{}</td><td>{} <span class=\"en\" lang=\"en\">({})</span></td></tr>",
                p.line,
                esc(&p.fr),
                esc(&p.en)
            ));
        }
        out.push_str("</tbody></table><p>Corrigez ces lignes dans le tableur et importez-les de nouveau : les personnes déjà invitées ne le seront pas deux fois. <span class=\"en\" lang=\"en\">Fix these rows and import them again: nobody is invited twice.</span></p></div>");
    }
    if !report.ignored_columns.is_empty() {
        out.push_str(&format!(
            "<p>Colonnes non utilisées <span class=\"en\" lang=\"en\">(columns not used)</span> : {}</p>",
            esc(&report.ignored_columns.join(", "))
        ));
    }
    out
}

fn admin_page(
    state: &AppState,
    session: &crate::login::Session,
    c: &Community,
    before: &str,
    status: StatusCode,
) -> Response {
    let slug = &c.slug;
    let mut body = format!(
        "{STYLE}<h1>Invitations — {name} <span class=\"en\" lang=\"en\">(inviting your residents)</span></h1>{before}\
<p>Importez la liste de vos résident·es exportée de votre tableur en CSV (séparateur point-virgule ou virgule). \
Colonnes lues : <strong>nom</strong> (ou prénom et nom), <strong>courriel</strong>, discipline, site web ; les autres sont ignorées. \
Chaque ligne devient une invitation personnelle : <strong>rien n'est publié</strong> tant que la personne ne l'a pas acceptée depuis son pod. \
Sans réponse, une invitation est effacée au bout de {INVITATION_DAYS} jours.</p>\
<p class=\"en\" lang=\"en\">Import your residents list exported from your spreadsheet as CSV. Columns read: name (or first and last name), \
email, discipline, website. Each row becomes a personal invitation: nothing is published until the person accepts it from their pod.</p>\
<form method=\"post\" enctype=\"multipart/form-data\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
<label for=\"fichier\">Fichier CSV (1 Mio au plus) <span class=\"en\" lang=\"en\">(CSV file, 1 MiB at most)</span></label>\
<input type=\"file\" id=\"fichier\" name=\"fichier\" accept=\".csv,text/csv,text/plain\" required> \
<button type=\"submit\">Importer et inviter <span lang=\"en\">/ Import and invite</span></button></form>",
        name = esc(&c.name),
        csrf = esc(&session.csrf),
    );
    let list = state.invitations.list(slug).unwrap_or_default();
    body.push_str(&format!(
        "<h2>Invitations de {} ({}) <span class=\"en\" lang=\"en\">(invitations)</span></h2>",
        esc(&c.name),
        list.len()
    ));
    if list.is_empty() {
        body.push_str(
            "<p>Aucune pour l'instant. <span class=\"en\" lang=\"en\">None yet.</span></p>",
        );
    } else {
        body.push_str("<table><thead><tr><th scope=\"col\">Nom <span class=\"en\" lang=\"en\">(name)</span></th><th scope=\"col\">Courriel</th><th scope=\"col\">Discipline</th><th scope=\"col\">État <span class=\"en\" lang=\"en\">(status)</span></th><th scope=\"col\">Lien <span class=\"en\" lang=\"en\">(link)</span></th><th scope=\"col\"><span class=\"sr\">Action</span></th></tr></thead><tbody>");
        for i in &list {
            let accepted = matches!(i.status, InvitationStatus::Accepted { .. });
            body.push_str(&format!(
                "<tr><td>{name}</td><td>{email}</td><td>{discipline}</td><td>{status}</td><td>{link}</td><td>{action}</td></tr>",
                name = esc(&i.name),
                email = esc(&i.email),
                discipline = esc(&i.discipline),
                status = status_cell(i),
                link = if accepted { String::new() } else { format!("<input readonly aria-label=\"Lien de l'invitation de {0}\" value=\"{1}\" size=\"30\">", esc(&i.name), esc(&link(state, i))) },
                action = if accepted { String::new() } else {
                    format!("<form method=\"post\"><input type=\"hidden\" name=\"csrf\" value=\"{}\"><input type=\"hidden\" name=\"action\" value=\"retirer\"><input type=\"hidden\" name=\"token\" value=\"{}\"><button>Retirer <span lang=\"en\">/ Withdraw</span></button></form>", esc(&session.csrf), esc(&i.token))
                },
            ));
        }
        body.push_str("</tbody></table>");
    }
    body.push_str(&format!(
        "<p><a href=\"/{slug}/admin\">Retour à l'administration <span class=\"en\" lang=\"en\">(back)</span></a></p>"
    ));
    let mut r = page(&format!("Invitations — {}", c.name), &body);
    *r.status_mut() = status;
    r
}

/// `GET /{slug}/invitations`: the admins import a residents list and follow the invitations.
pub async fn show(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    Query(q): Query<Shown>,
    headers: HeaderMap,
) -> Response {
    let (session, c) =
        match crate::login::with_role(&state, &headers, &slug, "invitations", Role::Admin) {
            Ok(v) => v,
            Err(r) => return r,
        };
    let before = q
        .fait
        .map(|f| format!("<p class=\"notice\" role=\"status\">{}</p>", esc(&f)))
        .unwrap_or_default();
    admin_page(&state, &session, &c, &before, StatusCode::OK)
}

/// `POST /{slug}/invitations`: a CSV file (`fichier`, multipart) to import, or `action=retirer`
/// with the `token` of an invitation to withdraw.
pub async fn act(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    request: axum::extract::Request,
) -> Response {
    let (parts, body) = request.into_parts();
    let headers = parts.headers;
    let (session, c) =
        match crate::login::with_role(&state, &headers, &slug, "invitations", Role::Admin) {
            Ok(v) => v,
            Err(r) => return r,
        };
    let form = match crate::forms::read_upload(
        &headers,
        body,
        "fichier",
        MAX_CSV_BYTES + 64 * 1024,
        8 * 1024 * 1024,
        "le fichier dépasse 1 Mio / the file is larger than 1 MiB",
    )
    .await
    {
        Ok(f) => f,
        Err(r) => return r,
    };
    if let Err(r) = crate::login::check_form(&session, &form.get("csrf")) {
        return r;
    }
    let book = state.invitations.clone();
    if form.get("action") == "retirer" {
        let token = form.get("token");
        let s = slug.clone();
        return match tokio::task::spawn_blocking(move || book.erase(&s, &token)).await {
            Ok(Ok(i)) => {
                tracing::info!(community = %slug, "an invitation withdrawn");
                redirect(&format!(
                    "/{slug}/invitations?fait={}",
                    form_urlencoded::byte_serialize(
                        format!("Invitation de {} retirée et effacée / withdrawn", i.name)
                            .as_bytes()
                    )
                    .collect::<String>()
                ))
            }
            Ok(Err(e)) => refusal(&e),
            Err(_) => plain(StatusCode::INTERNAL_SERVER_ERROR, "the request failed"),
        };
    }
    let Some(file) = form.file.filter(|f| !f.is_empty()) else {
        return error_page(
            StatusCode::BAD_REQUEST,
            "Aucun fichier / No file",
            "choisissez le fichier CSV de vos résident·es / choose your residents' CSV file",
        );
    };
    let s = slug.clone();
    let report = match tokio::task::spawn_blocking(move || book.import(&s, &file, now_ms())).await {
        Ok(Ok(r)) => r,
        Ok(Err(e)) => {
            let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::BAD_REQUEST);
            let before = format!(
                "<div class=\"error\" role=\"alert\"><p>Rien n'a été importé <span class=\"en\" lang=\"en\">(nothing imported)</span> : {}</p></div>",
                esc(&e.to_string())
            );
            return admin_page(&state, &session, &c, &before, status);
        }
        Err(_) => return plain(StatusCode::INTERNAL_SERVER_ERROR, "the request failed"),
    };
    let emailed = send(&state, &c, &report.invited);
    tracing::info!(community = %slug, invited = report.invited.len(), refused = report.problems.len(), "residents list imported");
    admin_page(
        &state,
        &session,
        &c,
        &report_html(&report, emailed),
        StatusCode::OK,
    )
}

fn find(state: &AppState, slug: &str, token: &str) -> Result<(Community, Invitation), Response> {
    let not_found = || {
        error_page(
            StatusCode::NOT_FOUND,
            "Invitation introuvable / Invitation not found",
            "Ce lien ne correspond à aucune invitation : elle a peut-être été retirée, refusée ou effacée après 90 jours. / This link matches no invitation: it may have been withdrawn, declined or erased after 90 days.",
        )
    };
    let c = match state.federation.registry.get(slug) {
        Ok(Some(c)) => c,
        Ok(None) => return Err(not_found()),
        Err(_) => return Err(plain(StatusCode::INTERNAL_SERVER_ERROR, "the store failed")),
    };
    if !valid_token(token) {
        return Err(not_found());
    }
    match state.invitations.get(slug, token) {
        Ok(Some(i)) => Ok((c, i)),
        Ok(None) => Err(not_found()),
        Err(_) => Err(plain(StatusCode::INTERNAL_SERVER_ERROR, "the store failed")),
    }
}

/// The page of a Kommon pod where its owner asks to join `place` (other apps: the place's
/// address, to paste).
fn join_link(webid: &str, place: &str) -> Option<String> {
    let u = url::Url::parse(webid).ok()?;
    let origin = u.origin().ascii_serialization();
    Some(format!(
        "{origin}/.account/pod?lieu={}#places",
        form_urlencoded::byte_serialize(place.as_bytes()).collect::<String>()
    ))
}

fn invitation_page(state: &AppState, c: &Community, i: &Invitation, notice: &str) -> Response {
    let place = state.federation.community_id(&c.slug);
    let mut body = format!(
        "{STYLE}<h1>{name} vous invite <span class=\"en\" lang=\"en\">({name} invites you)</span></h1>{notice}",
        name = esc(&c.name)
    );
    match &i.status {
        InvitationStatus::Accepted { .. } => {
            body.push_str(&format!(
                "<p class=\"notice\">Bienvenue ! Vous êtes dans la résidentothèque de {name}. <span class=\"en\" lang=\"en\">Welcome! You are in {name}'s directory of residents.</span></p><p><a href=\"/{slug}\">Voir la résidentothèque <span class=\"en\" lang=\"en\">(see it)</span></a></p>",
                name = esc(&c.name),
                slug = esc(&c.slug)
            ));
            return page(&format!("Invitation — {}", c.name), &body);
        }
        InvitationStatus::Claimed { webid, .. } => {
            let open = join_link(webid, &place)
                .map(|l| format!("<p><a href=\"{}\"><strong>Ouvrir mon pod pour envoyer la demande</strong> <span class=\"en\" lang=\"en\">(open my pod to send it)</span></a></p>", esc(&l)))
                .unwrap_or_default();
            body.push_str(&format!(
                "<div class=\"notice\" role=\"status\"><p><strong>Dernière étape</strong> : demandez à rejoindre {name} depuis votre pod ({webid}). La demande sera acceptée aussitôt. \
<span class=\"en\" lang=\"en\">Last step: ask to join {name} from your pod; it will be accepted at once.</span></p>{open}\
<p>Depuis une autre application compatible ActivityPods, l'adresse du lieu est <span class=\"en\" lang=\"en\">(from another app, the place's address is)</span> : <code>{place}</code></p></div>",
                name = esc(&c.name),
                webid = esc(webid),
                place = esc(&place),
            ));
        }
        InvitationStatus::Sent => {}
    }
    body.push_str(&format!(
        "<p>{name} vous compte parmi ses résident·es et vous propose d'apparaître dans sa résidentothèque, l'annuaire public du lieu sur le réseau Kommon. \
<strong>Rien n'est publié tant que vous n'avez pas accepté.</strong> Votre fiche viendra alors de votre propre pod : c'est vous qui choisissez ce qu'elle montre, et vous pouvez partir quand vous voulez.</p>\
<p class=\"en\" lang=\"en\">{name} counts you among its residents and offers to list you in its directory. Nothing is published until you accept; your card then comes from your own pod, and you may leave at any time.</p>\
<h2>Ce que le lieu sait de vous <span class=\"en\" lang=\"en\">(what the place knows of you)</span></h2><ul><li>Nom <span class=\"en\" lang=\"en\">(name)</span> : {person}</li>{discipline}{website}</ul>\
<p><small>Ces informations viennent de la liste du lieu ; elles ne sont pas publiées, ni avant ni après votre réponse. <span class=\"en\" lang=\"en\">They come from the place's list and are not published.</span></small></p>",
        name = esc(&c.name),
        person = esc(&i.name),
        discipline = if i.discipline.is_empty() { String::new() } else { format!("<li>Discipline : {}</li>", esc(&i.discipline)) },
        website = if i.website.is_empty() { String::new() } else { format!("<li>Site <span class=\"en\" lang=\"en\">(website)</span> : {}</li>", esc(&i.website)) },
    ));
    let current = match &i.status {
        InvitationStatus::Claimed { webid, .. } => webid.as_str(),
        _ => "",
    };
    body.push_str(&format!(
        "<h2>Accepter <span class=\"en\" lang=\"en\">(accept)</span></h2><form method=\"post\"><input type=\"hidden\" name=\"action\" value=\"accepter\">\
<label for=\"webid\">L'adresse de votre pod, votre WebID <span class=\"en\" lang=\"en\">(your pod's address, your WebID)</span></label>\
<input type=\"url\" id=\"webid\" name=\"webid\" required size=\"50\" value=\"{current}\" placeholder=\"https://pods.example/prenom\" autocomplete=\"url\">\
<p><button type=\"submit\">Accepter l'invitation <span lang=\"en\">/ Accept</span></button></p></form>\
<p>Pas encore de pod ? <span class=\"en\" lang=\"en\">No pod yet?</span> {provider}</p>\
<h2>Refuser <span class=\"en\" lang=\"en\">(decline)</span></h2><form method=\"post\"><input type=\"hidden\" name=\"action\" value=\"refuser\">\
<p><button type=\"submit\">Refuser et effacer l'invitation <span lang=\"en\">/ Decline and erase it</span></button></p></form>",
        current = esc(current),
        provider = match &state.config.pod_provider {
            Some(p) => format!("<a href=\"{0}/.account/signup\">Ouvrez-en un chez {0}</a>, puis revenez sur cette page. <span class=\"en\" lang=\"en\">Open one, then come back to this page.</span>", esc(p.trim_end_matches('/'))),
            None => "Ouvrez-en un chez un hébergeur compatible Solid ou ActivityPods, puis revenez sur cette page. <span class=\"en\" lang=\"en\">Open one with a Solid or ActivityPods host, then come back.</span>".into(),
        },
    ));
    page(&format!("Invitation — {}", c.name), &body)
}

/// `GET /{slug}/invitation/{token}`: the person's invitation, to accept or decline.
pub async fn public_page(
    State(state): State<AppState>,
    Path((slug, token)): Path<(String, String)>,
) -> Response {
    match find(&state, &slug, &token) {
        Ok((c, i)) => invitation_page(&state, &c, &i, ""),
        Err(r) => r,
    }
}

/// `POST /{slug}/invitation/{token}`: `action=accepter` with the person's `webid`, or
/// `action=refuser` (the invitation and the data in it are erased).
pub async fn public_act(
    State(state): State<AppState>,
    Path((slug, token)): Path<(String, String)>,
    headers: HeaderMap,
    body: axum::body::Body,
) -> Response {
    let (c, _) = match find(&state, &slug, &token) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let fields = match crate::orientation::read_form(&headers, body).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    let get = |k: &str| {
        fields
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.trim().to_owned())
            .unwrap_or_default()
    };
    let book = state.invitations.clone();
    match get("action").as_str() {
        "refuser" => {
            let (s, t) = (slug.clone(), token.clone());
            match tokio::task::spawn_blocking(move || book.erase(&s, &t)).await {
                Ok(Ok(_)) => {
                    tracing::info!(community = %slug, "an invitation declined");
                    page(
                        "Invitation refusée",
                        &format!(
                            "{STYLE}<h1>Invitation refusée <span class=\"en\" lang=\"en\">(declined)</span></h1><p class=\"notice\" role=\"status\">C'est noté : l'invitation de {name} et vos coordonnées sont effacées. <span class=\"en\" lang=\"en\">Done: {name}'s invitation and your details are erased.</span></p>",
                            name = esc(&c.name)
                        ),
                    )
                }
                Ok(Err(e)) => refusal(&e),
                Err(_) => plain(StatusCode::INTERNAL_SERVER_ERROR, "the request failed"),
            }
        }
        "accepter" => {
            let typed = get("webid");
            // The pod must answer as an ActivityPub actor: its Join is what completes the
            // invitation, and a mistyped address is better caught now. Outside development a
            // WebID is https.
            let fetched = if typed.starts_with("https://") || state.config.dev {
                state
                    .federation
                    .actors
                    .actor(&typed, true)
                    .await
                    .map_err(|e| e.to_string())
            } else {
                Err("not https".to_owned())
            };
            let webid = match fetched {
                // The actor's own id, as its Join will be signed (a fragment, a trailing slash
                // or a case typed differently would never match).
                Ok(actor) => actor.id,
                Err(e) => {
                    tracing::info!(community = %slug, error = %e, "an invitation's WebID could not be read");
                    let (c, i) = match find(&state, &slug, &token) {
                        Ok(v) => v,
                        Err(r) => return r,
                    };
                    let mut r = invitation_page(
                        &state,
                        &c,
                        &i,
                        &format!(
                            "<p class=\"error\" role=\"alert\">Nous n'avons pas pu lire le pod « {} » : vérifiez l'adresse (https://…). <span class=\"en\" lang=\"en\">We could not read this pod: check the address.</span></p>",
                            esc(&typed)
                        ),
                    );
                    *r.status_mut() = StatusCode::BAD_REQUEST;
                    return r;
                }
            };
            let (s, t, w) = (slug.clone(), token.clone(), webid.clone());
            match tokio::task::spawn_blocking(move || book.claim(&s, &t, &w, now_ms())).await {
                Ok(Ok(invitation)) => {
                    tracing::info!(community = %slug, "an invitation claimed");
                    // The person may already have asked to join from this pod: that request is
                    // the one to accept.
                    let community = state.federation.community_id(&slug);
                    if let Ok(Some(join)) =
                        state.federation.records.pending_join(&community, &webid)
                    {
                        accept_join(&state, &slug, &join, &webid, Some(&invitation)).await;
                    }
                    redirect(&format!("/{slug}/invitation/{token}"))
                }
                Ok(Err(e)) => refusal(&e),
                Err(_) => plain(StatusCode::INTERNAL_SERVER_ERROR, "the request failed"),
            }
        }
        other => error_page(
            StatusCode::BAD_REQUEST,
            "Action inconnue / Unknown action",
            &format!("« {other} » : accepter ou refuser / accept or decline"),
        ),
    }
}

/// Accepts `join`, the `Join` of `joined`, in the name of place `slug`'s first admin, because
/// the place invited this person (`invitation`) or accepted their application; the answer says
/// so, and it stays in the decisions log for the moderators. When it cannot be accepted the
/// request waits for the moderators, who are told.
pub async fn accept_join(
    state: &AppState,
    slug: &str,
    join: &str,
    joined: &str,
    invitation: Option<&Invitation>,
) {
    let Ok(Some(c)) = state.federation.registry.get(slug) else {
        return;
    };
    let Some(admin) = c.admins.first() else {
        return;
    };
    let credentials = kommon_solid::auth::Credentials {
        agent: admin.clone(),
        application: None,
        method: kommon_solid::auth::AuthMethod::SolidOidc,
    };
    let mut accept = serde_json::json!({"type": "Accept", "object": join});
    if let Some(i) = invitation {
        accept["content"] = serde_json::json!(format!(
            "Invitation de {} (ligne {} de la liste du lieu) acceptée depuis le pod {joined}. / Invitation of {} accepted from {joined}.",
            i.name, i.line, i.name
        ));
    }
    match crate::moderation::post(
        state,
        slug,
        accept.to_string().as_bytes(),
        Some(&credentials),
    )
    .await
    {
        Ok(_) => {
            tracing::info!(community = %slug, actor = %joined, "join of an invited person or an accepted application accepted");
            if let Some(i) = invitation
                && let Err(e) = state.invitations.accept(slug, &i.token, joined, now_ms())
            {
                tracing::error!(community = %slug, error = %e, "marking an invitation accepted");
            }
        }
        Err(crate::moderation::Refusal(_, why)) => {
            tracing::warn!(community = %slug, actor = %joined, why, "accepting the join of an invited person");
            crate::notify::pending_changed(state, slug);
        }
    }
}

/// Erases, every `every`, the invitations nobody accepted within their time.
pub fn spawn_erasure(state: AppState, every: std::time::Duration) {
    tokio::spawn(async move {
        loop {
            let book = state.invitations.clone();
            match tokio::task::spawn_blocking(move || book.erase_expired(now_ms())).await {
                Ok(Ok(0)) => {}
                Ok(Ok(n)) => tracing::info!(erased = n, "unanswered invitations erased"),
                Ok(Err(e)) => tracing::error!(error = %e, "erasing old invitations"),
                Err(e) => tracing::error!(error = %e, "erasing old invitations"),
            }
            tokio::time::sleep(every).await;
        }
    });
}
