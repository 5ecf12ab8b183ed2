//! Moderators are told by email that requests wait, when the server has an SMTP server
//! (`--smtp-url`) and the place has addresses to tell (its admin page). One email per place
//! at most every `--notify-every-s` seconds, saying how many requests and offers wait and
//! where to decide: a digest, never one email per request.
//!
//! Why lettre: the maintained SMTP client of the Rust ecosystem (STARTTLS and implicit TLS
//! with rustls, authentication, RFC 5322 messages with encoded headers).

use crate::app::AppState;
use lettre::message::{Mailbox, header::ContentType};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::collections::HashMap;
use std::str::FromStr;
use std::time::{Duration, Instant};

/// The mailer of a server.
pub struct Notifier {
    transport: Option<AsyncSmtpTransport<Tokio1Executor>>,
    from: Option<Mailbox>,
    every: Duration,
    last: parking_lot::Mutex<HashMap<String, Instant>>,
}

impl Notifier {
    /// A mailer from the server's settings; `Err` when they cannot be read.
    pub fn new(config: &crate::config::ServerConfig) -> anyhow::Result<Self> {
        use anyhow::Context;
        let transport = match &config.smtp_url {
            Some(url) => Some(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .context("reading --smtp-url")?
                    .timeout(Some(Duration::from_secs(20)))
                    .build(),
            ),
            None => None,
        };
        let from = match transport {
            Some(_) => Some(Mailbox::from_str(&config.mail_from).context("reading --mail-from")?),
            None => None,
        };
        Ok(Self {
            transport,
            from,
            every: Duration::from_secs(config.notify_every_s),
            last: parking_lot::Mutex::default(),
        })
    }

    /// Whether emails can be sent at all.
    pub fn enabled(&self) -> bool {
        self.transport.is_some()
    }
}

/// Whether `address` is an email address the mailer accepts.
pub fn is_email(address: &str) -> bool {
    lettre::Address::from_str(address.trim()).is_ok()
}

/// Something new waits in place `slug`: its moderators are told, unless they were told less
/// than `--notify-every-s` ago. Sending happens in the background; failures are logged.
pub fn pending_changed(state: &AppState, slug: &str) {
    let notifier = &state.notifier;
    let (Some(transport), Some(from)) = (notifier.transport.clone(), notifier.from.clone()) else {
        return;
    };
    let Ok(Some(community)) = state.federation.registry.get(slug) else {
        return;
    };
    let to: Vec<Mailbox> = community
        .notify_emails
        .iter()
        .filter_map(|a| Mailbox::from_str(a).ok())
        .collect();
    if to.is_empty() {
        return;
    }
    {
        let mut last = notifier.last.lock();
        if last.get(slug).is_some_and(|t| t.elapsed() < notifier.every) {
            return;
        }
        last.insert(slug.to_owned(), Instant::now());
    }
    let fed = &state.federation;
    let community_id = fed.community_id(slug);
    let waiting = fed
        .collections
        .len(&kommon_community::membership::pending_collection(
            &community_id,
        ))
        .unwrap_or(0);
    if waiting == 0 {
        return;
    }
    let page = format!("{}/{slug}/moderation", fed.base);
    let subject = format!(
        "{} : {waiting} demande{} en attente",
        community.name,
        if waiting > 1 { "s" } else { "" }
    );
    let body = format!(
        "Bonjour,\n\n{waiting} demande(s) attend(ent) une décision pour {name} : \
adhésions de résident·es, projets ou événements proposés.\n\nPour décider : {page}\n\n\
--\nHello, {waiting} request(s) wait for a decision for {name}: {page}\n\n\
Ce message est envoyé au plus une fois toutes les {minutes} minutes. Les adresses se changent \
sur la page d'administration du lieu.\n",
        name = community.name,
        minutes = notifier.every.as_secs() / 60,
    );
    let mut builder = Message::builder()
        .from(from)
        .subject(subject)
        .header(ContentType::TEXT_PLAIN);
    for t in to {
        builder = builder.to(t);
    }
    let message = match builder.body(body) {
        Ok(m) => m,
        Err(e) => {
            tracing::error!(error = %e, "writing a notification");
            return;
        }
    };
    let slug = slug.to_owned();
    tokio::spawn(async move {
        match transport.send(message).await {
            Ok(_) => tracing::info!(community = %slug, waiting, "moderators notified by email"),
            Err(e) => {
                tracing::warn!(community = %slug, error = %e, "notifying moderators by email")
            }
        }
    });
}

/// Sends one email to one person (a volunteer told their offer was accepted, a requester given
/// their follow-up link), in the background, when the server has an SMTP server; failures are
/// logged. Returns whether a message was handed to the mailer.
pub fn tell(state: &AppState, to: &str, subject: &str, body: String) -> bool {
    tell_each(state, vec![(to.to_owned(), subject.to_owned(), body)]) == 1
}

/// Sends several emails (`to`, subject, body), one after the other in one background task, so
/// that inviting a list of 5,000 people does not open 5,000 SMTP connections at once; how many
/// were handed to the mailer.
pub fn tell_each(state: &AppState, messages: Vec<(String, String, String)>) -> usize {
    let notifier = &state.notifier;
    let (Some(transport), Some(from)) = (notifier.transport.clone(), notifier.from.clone()) else {
        return 0;
    };
    let mut ready = Vec::with_capacity(messages.len());
    for (to, subject, body) in messages {
        let Ok(to) = Mailbox::from_str(to.trim()) else {
            continue;
        };
        match Message::builder()
            .from(from.clone())
            .to(to)
            .subject(subject)
            .header(ContentType::TEXT_PLAIN)
            .body(body)
        {
            Ok(m) => ready.push(m),
            Err(e) => tracing::error!(error = %e, "writing an email"),
        }
    }
    let handed = ready.len();
    if handed > 0 {
        tokio::spawn(async move {
            for message in ready {
                if let Err(e) = transport.send(message).await {
                    tracing::warn!(error = %e, "sending an email to a person");
                }
            }
        });
    }
    handed
}
