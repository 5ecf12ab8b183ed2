//! Moderators act as their place through its outbox: `Accept` or `Reject` of a pending `Join`,
//! `Remove` of a resident. The decision is checked (a moderator of this place, not deciding on
//! their own request), recorded with the membership change in one transaction, then published
//! by the community: the answer to the person, and the résidentothèque's change to followers.

use crate::app::AppState;
use kommon_activitypub::addressing::PUBLIC;
use kommon_activitypub::delivery::now_ms;
use kommon_activitypub::json::{self, Limits};
use kommon_community::MembershipError;
use kommon_community::membership::{self, Verdict};
use kommon_solid::auth::Credentials;
use serde_json::{Value, json};

/// Why a moderator's post was refused: an HTTP status and a message.
pub struct Refusal(pub u16, pub String);

fn refuse(status: u16, message: impl Into<String>) -> Refusal {
    Refusal(status, message.into())
}

fn reason_of(activity: &Value) -> String {
    activity
        .get("content")
        .or_else(|| activity.get("summary"))
        .and_then(Value::as_str)
        .unwrap_or_default()
        .chars()
        .take(2000)
        .collect()
}

/// Handles a post to community `slug`'s outbox; the id of the activity the community published.
pub async fn post(
    state: &AppState,
    slug: &str,
    body: &[u8],
    credentials: Option<&Credentials>,
) -> Result<String, Refusal> {
    let fed = state.federation.clone();
    let Some(credentials) = credentials else {
        return Err(refuse(401, "a moderator's credentials are needed"));
    };
    let community = fed
        .registry
        .get(slug)
        .map_err(|e| refuse(500, e.to_string()))?
        .ok_or_else(|| refuse(404, format!("there is no community {slug}")))?;
    let moderator = credentials.agent.clone();
    if !community.may_moderate(&moderator) {
        return Err(refuse(
            403,
            format!("{moderator} is not a moderator of {}", community.name),
        ));
    }
    let activity = json::parse_object(body, &Limits::default())
        .map_err(|e| refuse(e.status(), e.to_string()))?;
    // An admin asks a network to take the place in (the page /{slug}/reseaux does the same).
    if json::has_type(&activity, "Join") {
        if community.role_of(&moderator) != Some(kommon_community::Role::Admin) {
            return Err(refuse(403, "only the place's admins ask to join a network"));
        }
        let network = activity
            .get("object")
            .and_then(json::id_of)
            .ok_or_else(|| refuse(400, "Join needs the network as its object"))?;
        let message = activity
            .get("content")
            .and_then(Value::as_str)
            .unwrap_or_default();
        return crate::network::pages::ask_to_join(state, slug, network, message)
            .await
            .map_err(|(status, m)| refuse(status.as_u16(), m));
    }
    let community_id = fed.community_id(slug);
    let now = now_ms();
    let decision_id = fed.new_id(slug, "activities");
    let reason = reason_of(&activity);
    let target = activity
        .get("object")
        .and_then(json::id_of)
        .unwrap_or_default()
        .to_owned();
    let offer = fed
        .offers
        .offer(&target)
        .map_err(|e| refuse(500, e.to_string()))?;
    let (to_member, change) = if let Some(offer) =
        offer.filter(|_| json::has_type(&activity, "Accept") || json::has_type(&activity, "Reject"))
    {
        // An offer: accepted into the place's collection, or refused with a reason.
        let accept = json::has_type(&activity, "Accept");
        if !accept && reason.trim().is_empty() {
            return Err(refuse(
                400,
                "a refusal needs a reason (content), told to the person",
            ));
        }
        if offer.actor == moderator {
            return Err(refuse(403, "nobody decides on their own offer"));
        }
        let fed2 = fed.clone();
        let (c, id) = (community_id.clone(), offer.id.clone());
        let taken = tokio::task::spawn_blocking(move || {
            fed2.store
                .transaction(|tx| kommon_community::offers::take(tx, &c, &id))
        })
        .await
        .map_err(|_| refuse(500, "the request failed"))?
        .map_err(|e| refuse(500, e.to_string()))?
        .ok_or_else(|| refuse(404, format!("the offer {} is not pending", offer.id)))?;
        if accept {
            let fed2 = fed.clone();
            let slug2 = slug.to_owned();
            let (answer, add) =
                tokio::task::spawn_blocking(move || crate::offers::accept(&fed2, &slug2, &taken))
                    .await
                    .map_err(|_| refuse(500, "the request failed"))?
                    .map_err(|e| refuse(500, e.to_string()))?;
            (answer, Some(add))
        } else {
            let mut offer_activity = fed
                .activity(&offer.id)
                .ok()
                .flatten()
                .unwrap_or_else(|| json!({"id": offer.id, "type": "Offer"}));
            if let Some(o) = offer_activity.as_object_mut() {
                o.remove("@context");
            }
            (
                json!({"type": "Reject", "object": offer_activity, "content": reason, "to": [offer.actor]}),
                None,
            )
        }
    } else if json::has_type(&activity, "Accept") || json::has_type(&activity, "Reject") {
        let accept = json::has_type(&activity, "Accept");
        if !accept && reason.trim().is_empty() {
            return Err(refuse(
                400,
                "a refusal needs a reason (content), told to the person",
            ));
        }
        let verdict = if accept {
            Verdict::Accepted
        } else {
            Verdict::Refused {
                reason: reason.clone(),
            }
        };
        let residency_id = fed.new_id(slug, "residencies");
        let fed2 = fed.clone();
        let (c, j, m, d, r) = (
            community_id.clone(),
            target.clone(),
            moderator.clone(),
            decision_id.clone(),
            residency_id,
        );
        let decided = tokio::task::spawn_blocking(move || {
            fed2.store
                .transaction(|tx| membership::decide(tx, &c, &j, &m, verdict, &d, &r, now))
        })
        .await
        .map_err(|_| refuse(500, "the request failed"))?;
        let (request, _, residency) = decided.map_err(|e| match e {
            MembershipError::NoSuchRequest(_) => refuse(404, e.to_string()),
            MembershipError::OwnRequest => refuse(403, e.to_string()),
            other => refuse(500, other.to_string()),
        })?;
        let join = fed
            .activity(&request.id)
            .ok()
            .flatten()
            .unwrap_or_else(|| json!({"id": request.id, "type": "Join", "actor": request.actor, "object": community_id}));
        let mut answer = json!({
            "type": if accept { "Accept" } else { "Reject" },
            "object": without_context(join),
            "to": [request.actor],
        });
        if !reason.is_empty() {
            answer["content"] = json!(reason);
        }
        let change = residency.map(|r| {
            json!({
                "type": "Add", "object": r.member, "target": fed.collection(slug, "residents"),
                "to": [PUBLIC[0]], "cc": [fed.collection(slug, "followers")],
            })
        });
        (answer, change)
    } else if json::has_type(&activity, "Remove") {
        if reason.trim().is_empty() {
            return Err(refuse(
                400,
                "ending a residency needs a reason (content), told to the resident",
            ));
        }
        let fed2 = fed.clone();
        let (c, member, m, d, why) = (
            community_id.clone(),
            target.clone(),
            moderator.clone(),
            decision_id.clone(),
            reason.clone(),
        );
        let removed = tokio::task::spawn_blocking(move || {
            fed2.store
                .transaction(|tx| membership::remove(tx, &c, &member, &m, &why, &d, now))
        })
        .await
        .map_err(|_| refuse(500, "the request failed"))?;
        removed.map_err(|e| match e {
            MembershipError::NotResident(_) => refuse(404, e.to_string()),
            MembershipError::OwnRequest => refuse(403, e.to_string()),
            other => refuse(500, other.to_string()),
        })?;
        if let Err(e) = state.invitations.forget(slug, &target) {
            tracing::error!(error = %e, "forgetting the invitation of a removed resident");
        }
        let answer = json!({
            "type": "Remove", "object": target, "target": fed.collection(slug, "residents"),
            "content": reason, "to": [target], "cc": [PUBLIC[0], fed.collection(slug, "followers")],
        });
        (answer, None)
    } else {
        // Calls for volunteers are written, published and closed on the orientation page,
        // which keeps their volunteers: the outbox does not touch them.
        let calls = format!("{}/", fed.collection(slug, "calls"));
        let touches_call = crate::publications::is_call(&activity)
            || activity
                .get("object")
                .is_some_and(crate::publications::is_call)
            || activity
                .get("object")
                .and_then(json::id_of)
                .is_some_and(|id| id.starts_with(&calls));
        let creates_call = (!json::is_activity(&activity) || json::has_type(&activity, "Create"))
            && (crate::publications::is_call(&activity)
                || activity
                    .get("object")
                    .is_some_and(crate::publications::is_call));
        if creates_call {
            return crate::orientation::calls::create_from_outbox(state, &community, &activity)
                .await;
        }
        if touches_call {
            return Err(refuse(
                400,
                format!(
                    "a call for volunteers is created through the outbox, then closed on /{slug}/orientation"
                ),
            ));
        }
        let fed2 = fed.clone();
        let slug2 = slug.to_owned();
        let a = activity.clone();
        let published =
            tokio::task::spawn_blocking(move || crate::publications::prepare(&fed2, &slug2, &a))
                .await
                .map_err(|_| refuse(500, "the request failed"))??;
        (published, None)
    };
    // In a network, a place admitted is followed and back-filled; a place removed leaves.
    let admitted = change
        .as_ref()
        .filter(|c| json::has_type(c, "Add"))
        .and_then(|c| c.get("object").and_then(Value::as_str))
        .map(str::to_owned);
    let removed = (json::has_type(&to_member, "Remove")).then(|| target.clone());
    let mut ids = Vec::new();
    for (i, mut a) in std::iter::once(to_member).chain(change).enumerate() {
        // The answer to the person carries the decision's id, the log's key.
        if i == 0 {
            a["id"] = json!(decision_id);
        }
        ids.push(
            fed.answer(slug, a)
                .await
                .map_err(|e| refuse(500, e.to_string()))?,
        );
    }
    if let Some(net) = state.network.clone().filter(|n| n.slug == slug) {
        if let Some(place) = admitted {
            crate::network::ingest::admitted(state, &place);
        }
        if let Some(place) = removed {
            crate::network::ingest::dismissed(state, &net, &place)
                .await
                .map_err(|e| refuse(500, e.to_string()))?;
        }
    }
    Ok(ids.remove(0))
}

fn without_context(mut v: Value) -> Value {
    if let Some(o) = v.as_object_mut() {
        o.remove("@context");
    }
    v
}
