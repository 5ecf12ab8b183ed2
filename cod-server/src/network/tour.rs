//! A guided tour on the network's home page (`--tour FILE`): who to be, where to go, and what
//! it shows, persona by persona, in French and English. The demonstrator writes one with its
//! own addresses and logins; a real network runs without.

use crate::pages::esc;
use serde::Deserialize;
use std::fmt::Write;

/// The tour, as the file gives it.
#[derive(Clone, Debug, Deserialize)]
pub struct Tour {
    /// What the section says first, in French.
    pub intro_fr: String,
    /// The same in English.
    pub intro_en: String,
    /// The people to play.
    pub personas: Vec<Persona>,
}

/// A person to play in the tour.
#[derive(Clone, Debug, Deserialize)]
pub struct Persona {
    /// Who, in French (« Claire, modératrice du 6B »).
    pub who_fr: String,
    /// Who, in English.
    pub who_en: String,
    /// What it shows, in French.
    pub shows_fr: String,
    /// What it shows, in English.
    pub shows_en: String,
    /// The login to use, if any.
    #[serde(default)]
    pub login: Option<String>,
    /// What to do, in order.
    pub steps: Vec<Step>,
}

/// One thing to do.
#[derive(Clone, Debug, Deserialize)]
pub struct Step {
    /// In French.
    pub fr: String,
    /// In English.
    pub en: String,
    /// Where to do it.
    #[serde(default)]
    pub link: Option<String>,
}

/// Reads a tour file; the error says what is wrong in it.
pub fn read(path: &std::path::Path) -> anyhow::Result<Tour> {
    use anyhow::Context;
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let tour: Tour = serde_json::from_slice(&bytes)
        .with_context(|| format!("{} is not a tour (see docs/network.md)", path.display()))?;
    for p in &tour.personas {
        for s in &p.steps {
            if let Some(l) = &s.link
                && !(l.starts_with("http://") || l.starts_with("https://") || l.starts_with('/'))
            {
                anyhow::bail!(
                    "{}: the link « {l} » is not an http(s) address",
                    path.display()
                );
            }
        }
    }
    Ok(tour)
}

/// The tour's section of the home page.
pub fn section(tour: &Tour) -> String {
    let mut s = format!(
        "<section id=\"visite\" class=\"tour\" style=\"overflow-wrap:anywhere\"><h2>Visite guidée <span class=\"en\" lang=\"en\">Guided tour</span></h2><p>{}</p><p class=\"en\" lang=\"en\">{}</p><ol class=\"personas\">",
        esc(&tour.intro_fr),
        esc(&tour.intro_en)
    );
    for p in &tour.personas {
        let _ = write!(
            s,
            "<li><h3>{} <span class=\"en\" lang=\"en\">({})</span></h3><p><em>{}</em> <span class=\"en\" lang=\"en\">{}</span></p>",
            esc(&p.who_fr),
            esc(&p.who_en),
            esc(&p.shows_fr),
            esc(&p.shows_en)
        );
        if let Some(login) = &p.login {
            let _ = write!(
                s,
                "<p>Identifiant <span class=\"en\" lang=\"en\">(login)</span> : <code>{}</code></p>",
                esc(login)
            );
        }
        s.push_str("<ol>");
        for step in &p.steps {
            let _ = write!(
                s,
                "<li>{} <span class=\"en\" lang=\"en\">{}</span>{}</li>",
                esc(&step.fr),
                esc(&step.en),
                step.link
                    .as_deref()
                    .map(|l| format!(" — <a href=\"{0}\">{0}</a>", esc(l)))
                    .unwrap_or_default()
            );
        }
        s.push_str("</ol></li>");
    }
    s.push_str("</ol></section>");
    s
}
