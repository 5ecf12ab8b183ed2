//! Invitations: a place arriving with the residents list it already keeps (a spreadsheet's CSV
//! export) invites each person on it. An invitation stays private to the place's admins:
//! nothing of the person is published until they accept it, by naming their pod on the
//! invitation's page and asking to join from it, which the place then approves at once.
//!
//! Why the `csv` crate: spreadsheets quote fields, put line breaks and separators inside them
//! and double their quotes; `csv` reads all of that and tells the line of each record. Why
//! `encoding_rs`: French spreadsheet exports are often Windows-1252, not UTF-8. Why
//! `email_address`: an RFC 5322 address check that needs no mail stack.

use kommon_rdf::{QuadStore, StoreError, Transaction};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use thiserror::Error;

const INVITATIONS: &str = "invitations";
/// Place and lower-cased email → token: one invitation per person and place.
const BY_EMAIL: &str = "invitations-by-email";
/// Place and WebID → token, once the person named their pod.
const BY_WEBID: &str = "invitations-by-webid";

/// The largest CSV file read.
pub const MAX_CSV_BYTES: usize = 1024 * 1024;
/// The most rows read from one file.
pub const MAX_ROWS: usize = 5000;
/// Days after which an invitation nobody accepted is erased, with the personal data in it.
pub const INVITATION_DAYS: u64 = 90;
const MAX_FIELD_CHARS: usize = 300;

/// An invitation to join a place's résidentothèque, made from one row of a residents list.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Invitation {
    /// The secret that names it in the link sent to the person.
    pub token: String,
    /// The place's slug.
    pub community: String,
    /// The person's name, as the list gives it.
    pub name: String,
    /// Where the link is sent; kept, never published, so that importing the list again does
    /// not invite the person twice.
    pub email: String,
    /// What they do, as the list gives it.
    #[serde(default)]
    pub discipline: String,
    /// Their website, as an http(s) URL.
    #[serde(default)]
    pub website: String,
    /// The line of the CSV file it came from.
    pub line: usize,
    /// When it was made (ms since the epoch).
    pub created_ms: u64,
    /// Where it stands.
    pub status: InvitationStatus,
}

/// Where an invitation stands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum InvitationStatus {
    /// Made; the person has not answered yet.
    Sent,
    /// The person named their pod; the place waits for the `Join` from it.
    Claimed {
        /// The WebID they named.
        webid: String,
        /// When (ms since the epoch).
        at_ms: u64,
    },
    /// The `Join` came and the place approved it.
    Accepted {
        /// The resident's WebID.
        webid: String,
        /// When (ms since the epoch).
        at_ms: u64,
    },
}

/// One person read from the residents list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invitee {
    /// The line of the file the row starts on.
    pub line: usize,
    /// Their name.
    pub name: String,
    /// Their email address.
    pub email: String,
    /// What they do.
    pub discipline: String,
    /// Their website (an http(s) URL, or empty).
    pub website: String,
}

/// A row that was not imported, and why, in French and English.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RowProblem {
    /// The line of the file the row starts on.
    pub line: usize,
    /// Why, in French.
    pub fr: String,
    /// Why, in English.
    pub en: String,
}

/// What a residents list holds: the people to invite, the rows refused, and the columns that
/// were not used.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ResidentsList {
    /// The rows that can be invited.
    pub invitees: Vec<Invitee>,
    /// The rows refused, by line.
    pub problems: Vec<RowProblem>,
    /// Header names that match no field Kommon reads.
    pub ignored_columns: Vec<String>,
}

/// What an import did.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ImportReport {
    /// The invitations made.
    pub invited: Vec<Invitation>,
    /// The rows refused, by line.
    pub problems: Vec<RowProblem>,
    /// Header names that match no field Kommon reads.
    pub ignored_columns: Vec<String>,
}

/// Why a residents list or an invitation was refused; the messages are in French and English.
#[derive(Debug, Error)]
pub enum InvitationError {
    /// The file is over [`MAX_CSV_BYTES`].
    #[error("le fichier dépasse 1 Mio / the file is larger than 1 MiB")]
    TooLarge,
    /// The file has no header line.
    #[error("le fichier est vide / the file is empty")]
    Empty,
    /// The file holds binary data.
    #[error(
        "ce n'est pas un fichier CSV (texte) : exportez le tableur en CSV / this is not a CSV text file: export the spreadsheet as CSV"
    )]
    NotText,
    /// A column Kommon needs is missing from the header.
    #[error(
        "aucune colonne « {fr} » dans l'en-tête (colonnes lues : {found}) / no « {en} » column in the header (columns read: {found})"
    )]
    MissingColumn {
        /// The column, in French.
        fr: &'static str,
        /// The column, in English.
        en: &'static str,
        /// The header as read.
        found: String,
    },
    /// The file has more than [`MAX_ROWS`] rows.
    #[error(
        "plus de {MAX_ROWS} lignes : découpez le fichier / more than {MAX_ROWS} rows: split the file"
    )]
    TooManyRows,
    /// A record could not be read at all.
    #[error("ligne {line} illisible : {message} / line {line} cannot be read: {message}")]
    Unreadable {
        /// Where.
        line: usize,
        /// What the reader said.
        message: String,
    },
    /// No such invitation (or it was erased).
    #[error("cette invitation n'existe pas ou plus / this invitation does not exist (any more)")]
    NotFound,
    /// The invitation was already accepted.
    #[error("cette invitation a déjà été acceptée / this invitation was already accepted")]
    AlreadyAccepted,
    /// The WebID is not an http(s) URL.
    #[error(
        "l'adresse de votre pod (WebID) doit être une adresse https:// / your pod's address (WebID) must be an https:// URL"
    )]
    BadWebId,
    /// Another invitation of this place was already claimed with this WebID.
    #[error(
        "ce WebID a déjà accepté une autre invitation de ce lieu / this WebID already accepted another invitation of this place"
    )]
    WebIdTaken,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl InvitationError {
    /// The HTTP status that answers it.
    pub fn status(&self) -> u16 {
        match self {
            InvitationError::TooLarge => 413,
            InvitationError::NotFound => 404,
            InvitationError::AlreadyAccepted | InvitationError::WebIdTaken => 409,
            InvitationError::Store(_) => 500,
            _ => 400,
        }
    }
}

/// What a header names, by the words spreadsheets use for it (lower-cased, accents removed).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Column {
    Name,
    FirstName,
    LastName,
    Email,
    Discipline,
    Website,
}

fn fold(s: &str) -> String {
    s.trim()
        .chars()
        .map(|c| match c {
            'é' | 'è' | 'ê' | 'ë' | 'É' | 'È' | 'Ê' => 'e',
            'à' | 'â' | 'À' | 'Â' => 'a',
            'î' | 'ï' => 'i',
            'ô' | 'Ô' => 'o',
            'ù' | 'û' | 'ü' => 'u',
            'ç' | 'Ç' => 'c',
            '_' | '-' | '.' => ' ',
            c => c.to_ascii_lowercase(),
        })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn column_of(header: &str) -> Option<Column> {
    let h = fold(header);
    Some(match h.as_str() {
        "nom" | "name" | "nom complet" | "full name" | "nom et prenom" | "prenom et nom"
        | "prenom nom" | "nom prenom" | "resident" | "residente" | "resident e" | "personne"
        | "structure" => Column::Name,
        "prenom" | "first name" | "firstname" | "given name" => Column::FirstName,
        "nom de famille" | "last name" | "lastname" | "surname" | "family name" => Column::LastName,
        "email" | "e mail" | "courriel" | "mail" | "mel" | "adresse email" | "adresse e mail"
        | "adresse mail" | "adresse courriel" | "email address" => Column::Email,
        "discipline" | "disciplines" | "metier" | "activite" | "domaine" | "pratique" | "field"
        | "occupation" => Column::Discipline,
        "site" | "site web" | "site internet" | "website" | "web" | "url" | "lien" | "link" => {
            Column::Website
        }
        _ => return None,
    })
}

/// The text of the file: UTF-8 (a byte-order mark dropped), or Windows-1252 as French
/// spreadsheets export it.
fn decode(bytes: &[u8]) -> Result<String, InvitationError> {
    if bytes.contains(&0) {
        return Err(InvitationError::NotText);
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(s) => Ok(s.to_owned()),
        Err(_) => {
            let (text, _, _) = encoding_rs::WINDOWS_1252.decode(bytes);
            Ok(text.into_owned())
        }
    }
}

/// The separator of the header line: `;` (French spreadsheets), `,` or a tab, whichever it
/// holds most of outside quotes.
fn separator(text: &str) -> u8 {
    let header = text.lines().next().unwrap_or_default();
    let mut counts = [0usize; 3];
    let mut quoted = false;
    for c in header.chars() {
        match c {
            '"' => quoted = !quoted,
            ';' if !quoted => counts[0] += 1,
            ',' if !quoted => counts[1] += 1,
            '\t' if !quoted => counts[2] += 1,
            _ => {}
        }
    }
    let best = (0..3).max_by_key(|&i| (counts[i], 3 - i)).unwrap_or(0);
    [b';', b',', b'\t'][best]
}

/// A website as the list gives it, made an http(s) URL (`www.example.fr` becomes
/// `https://www.example.fr`); `None` when it cannot be one.
fn website(raw: &str) -> Option<String> {
    let raw = raw.trim();
    let candidate = if raw.starts_with("http://") || raw.starts_with("https://") {
        raw.to_owned()
    } else {
        format!("https://{raw}")
    };
    let url = url::Url::parse(&candidate).ok()?;
    let host = url.host_str()?;
    (matches!(url.scheme(), "http" | "https")
        && host.contains('.')
        && !raw.contains(char::is_whitespace))
    .then(|| url.to_string())
}

/// A bare address (`nom@domaine.fr`): no display name (« Ana <ana@x.fr> » would be another key
/// for the same person), no IP literal, a domain with a dot.
fn strict_email() -> email_address::Options {
    email_address::Options {
        minimum_sub_domains: 2,
        allow_domain_literal: false,
        allow_display_text: false,
        ..email_address::Options::default()
    }
}

fn problem(line: usize, fr: impl Into<String>, en: impl Into<String>) -> RowProblem {
    RowProblem {
        line,
        fr: fr.into(),
        en: en.into(),
    }
}

/// Reads a residents list exported from a spreadsheet. The header names the columns (in French
/// or English: nom, prénom, courriel, discipline, site…); a name and an email are required on
/// each row; blank rows are skipped; a row whose email appears earlier in the file is refused.
pub fn read_residents_list(bytes: &[u8]) -> Result<ResidentsList, InvitationError> {
    if bytes.len() > MAX_CSV_BYTES {
        return Err(InvitationError::TooLarge);
    }
    let text = decode(bytes)?;
    if text.trim().is_empty() {
        return Err(InvitationError::Empty);
    }
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(separator(&text))
        .flexible(true)
        .has_headers(true)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| InvitationError::Unreadable {
            line: 1,
            message: e.to_string(),
        })?
        .clone();
    let mut columns: Vec<Option<Column>> = Vec::new();
    let mut ignored = Vec::new();
    for h in headers.iter() {
        let c = column_of(h);
        if c.is_none() && !h.trim().is_empty() {
            ignored.push(h.trim().to_owned());
        }
        columns.push(c);
    }
    // Beside a « prénom » column, « nom » is the family name.
    if columns.contains(&Some(Column::FirstName)) {
        for (c, h) in columns.iter_mut().zip(headers.iter()) {
            if *c == Some(Column::Name) && matches!(fold(h).as_str(), "nom" | "name") {
                *c = Some(Column::LastName);
            }
        }
    }
    let found = headers
        .iter()
        .map(|h| format!("« {} »", h.trim()))
        .collect::<Vec<_>>()
        .join(", ");
    let has = |c: Column| columns.contains(&Some(c));
    if !has(Column::Name) && !has(Column::FirstName) && !has(Column::LastName) {
        return Err(InvitationError::MissingColumn {
            fr: "nom",
            en: "name",
            found,
        });
    }
    if !has(Column::Email) {
        return Err(InvitationError::MissingColumn {
            fr: "courriel",
            en: "email",
            found,
        });
    }
    let mut list = ResidentsList {
        ignored_columns: ignored,
        ..Default::default()
    };
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut record = csv::StringRecord::new();
    let mut rows = 0usize;
    // Lines are counted from the record's first byte: the reader's own count is off by one
    // after a header, and after CRLF it leaves a record's position on the previous `\n`.
    let bytes = text.as_bytes();
    let mut counted = (0usize, 1usize);
    let mut line_of = |byte: u64| {
        let mut at = (byte as usize).min(bytes.len());
        if bytes.get(at) == Some(&b'\n') {
            at += 1;
        }
        // Records come in order: only the bytes since the last one are counted. A line ends
        // with `\n`, `\r\n` or a lone `\r` (old spreadsheet exports).
        let (from, line) = counted;
        let more = (from.min(at)..at)
            .filter(|&i| {
                bytes[i] == b'\n' || (bytes[i] == b'\r' && bytes.get(i + 1) != Some(&b'\n'))
            })
            .count();
        counted = (at, line + more);
        line + more
    };
    loop {
        let line = line_of(reader.position().byte());
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                return Err(InvitationError::Unreadable {
                    line,
                    message: e.to_string(),
                });
            }
        }
        let line = match record.position() {
            Some(p) => line_of(p.byte()),
            None => line,
        };
        if record.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        rows += 1;
        if rows > MAX_ROWS {
            return Err(InvitationError::TooManyRows);
        }
        let get = |want: Column| -> String {
            columns
                .iter()
                .zip(record.iter())
                .filter(|(c, _)| **c == Some(want))
                .map(|(_, v)| v.trim())
                .find(|v| !v.is_empty())
                .unwrap_or_default()
                .to_owned()
        };
        let mut name = get(Column::Name);
        if name.is_empty() {
            name = [get(Column::FirstName), get(Column::LastName)]
                .into_iter()
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join(" ");
        }
        let name = name.split_whitespace().collect::<Vec<_>>().join(" ");
        let email = get(Column::Email);
        let discipline = get(Column::Discipline);
        let site = get(Column::Website);
        if name.is_empty() {
            list.problems
                .push(problem(line, "nom manquant", "the name is missing"));
            continue;
        }
        if [&name, &email, &discipline, &site]
            .iter()
            .any(|f| f.chars().count() > MAX_FIELD_CHARS || f.chars().any(char::is_control))
        {
            list.problems.push(problem(
                line,
                format!("un champ dépasse {MAX_FIELD_CHARS} caractères ou contient des caractères de contrôle"),
                format!("a field is longer than {MAX_FIELD_CHARS} characters or holds control characters"),
            ));
            continue;
        }
        if email.is_empty() {
            list.problems
                .push(problem(line, "courriel manquant", "the email is missing"));
            continue;
        }
        if email_address::EmailAddress::parse_with_options(&email, strict_email()).is_err() {
            list.problems.push(problem(
                line,
                format!("courriel invalide « {email} »"),
                format!("invalid email « {email} »"),
            ));
            continue;
        }
        let website = if site.is_empty() {
            String::new()
        } else if let Some(w) = website(&site) {
            w
        } else {
            list.problems.push(problem(
                line,
                format!("site web invalide « {site} »"),
                format!("invalid website « {site} »"),
            ));
            continue;
        };
        let key = email.to_lowercase();
        if let Some(first) = seen.get(&key) {
            list.problems.push(problem(
                line,
                format!("doublon : {email} est déjà à la ligne {first}"),
                format!("duplicate: {email} is already on line {first}"),
            ));
            continue;
        }
        seen.insert(key, line);
        list.invitees.push(Invitee {
            line,
            name,
            email,
            discipline,
            website,
        });
    }
    Ok(list)
}

/// The invitations of one server's places.
#[derive(Clone)]
pub struct InvitationBook {
    store: QuadStore,
}

fn key(slug: &str, id: &str) -> Vec<u8> {
    format!("{slug}/{id}").into_bytes()
}

fn decode_record(bytes: &[u8]) -> Result<Invitation, StoreError> {
    serde_json::from_slice(bytes).map_err(|e| StoreError::Corrupted(e.to_string()))
}

fn write(tx: &mut Transaction<'_>, i: &Invitation) -> Result<(), StoreError> {
    let bytes = serde_json::to_vec(i).map_err(|e| StoreError::Corrupted(e.to_string()))?;
    tx.keyspace_insert(INVITATIONS, &key(&i.community, &i.token), &bytes);
    Ok(())
}

fn read(tx: &Transaction<'_>, slug: &str, token: &str) -> Result<Option<Invitation>, StoreError> {
    tx.keyspace_get(INVITATIONS, &key(slug, token))?
        .map(|b| decode_record(&b))
        .transpose()
}

fn erase(tx: &mut Transaction<'_>, i: &Invitation) {
    tx.keyspace_remove(INVITATIONS, &key(&i.community, &i.token));
    tx.keyspace_remove(BY_EMAIL, &key(&i.community, &i.email.to_lowercase()));
    if let InvitationStatus::Claimed { webid, .. } | InvitationStatus::Accepted { webid, .. } =
        &i.status
    {
        tx.keyspace_remove(BY_WEBID, &key(&i.community, webid));
    }
}

fn new_token() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

impl InvitationBook {
    /// The invitations kept in `store`.
    pub fn new(store: &QuadStore) -> Self {
        Self {
            store: store.clone(),
        }
    }

    /// Imports a residents list into place `slug`: one invitation per good row, in one
    /// transaction; rows whose email was already invited to this place are refused by line.
    pub fn import(
        &self,
        slug: &str,
        csv: &[u8],
        now_ms: u64,
    ) -> Result<ImportReport, InvitationError> {
        let list = read_residents_list(csv)?;
        let mut report = ImportReport {
            problems: list.problems,
            ignored_columns: list.ignored_columns,
            ..Default::default()
        };
        self.store
            .transaction(|tx| -> Result<(), InvitationError> {
                for p in list.invitees {
                    let email_key = key(slug, &p.email.to_lowercase());
                    if tx.keyspace_get(BY_EMAIL, &email_key)?.is_some() {
                        report.problems.push(problem(
                            p.line,
                            format!("{} a déjà une invitation de ce lieu", p.email),
                            format!("{} already has an invitation from this place", p.email),
                        ));
                        continue;
                    }
                    let i = Invitation {
                        token: new_token(),
                        community: slug.to_owned(),
                        name: p.name,
                        email: p.email,
                        discipline: p.discipline,
                        website: p.website,
                        line: p.line,
                        created_ms: now_ms,
                        status: InvitationStatus::Sent,
                    };
                    write(tx, &i)?;
                    tx.keyspace_insert(BY_EMAIL, &email_key, i.token.as_bytes());
                    report.invited.push(i);
                }
                Ok(())
            })?;
        report.problems.sort_by_key(|p| p.line);
        Ok(report)
    }

    /// Place `slug`'s invitations, oldest first.
    pub fn list(&self, slug: &str) -> Result<Vec<Invitation>, StoreError> {
        let mut out = Vec::new();
        for entry in self.store.keyspace(INVITATIONS).scan_prefix(&key(slug, "")) {
            out.push(decode_record(&entry?.1)?);
        }
        out.sort_by_key(|i| (i.created_ms, i.line));
        Ok(out)
    }

    /// One invitation of place `slug`.
    pub fn get(&self, slug: &str, token: &str) -> Result<Option<Invitation>, StoreError> {
        self.store
            .keyspace(INVITATIONS)
            .get(&key(slug, token))?
            .map(|b| decode_record(&b))
            .transpose()
    }

    /// The person names their pod: the place will approve the `Join` that comes from it. They
    /// may name another WebID until the place has approved one.
    pub fn claim(
        &self,
        slug: &str,
        token: &str,
        webid: &str,
        now_ms: u64,
    ) -> Result<Invitation, InvitationError> {
        let parsed = url::Url::parse(webid).map_err(|_| InvitationError::BadWebId)?;
        if !matches!(parsed.scheme(), "http" | "https") || webid.len() > 2048 {
            return Err(InvitationError::BadWebId);
        }
        self.store.transaction(|tx| {
            let mut i = read(tx, slug, token)?.ok_or(InvitationError::NotFound)?;
            if let Some(other) = tx.keyspace_get(BY_WEBID, &key(slug, webid))?
                && other != token.as_bytes()
            {
                return Err(InvitationError::WebIdTaken);
            }
            match &i.status {
                InvitationStatus::Accepted { .. } => return Err(InvitationError::AlreadyAccepted),
                InvitationStatus::Claimed { webid: before, .. } => {
                    tx.keyspace_remove(BY_WEBID, &key(slug, before));
                }
                InvitationStatus::Sent => {}
            }
            i.status = InvitationStatus::Claimed {
                webid: webid.to_owned(),
                at_ms: now_ms,
            };
            write(tx, &i)?;
            tx.keyspace_insert(BY_WEBID, &key(slug, webid), token.as_bytes());
            Ok(i)
        })
    }

    /// The invitation of place `slug` claimed with `webid` and not yet accepted, if any.
    pub fn claimed_by(&self, slug: &str, webid: &str) -> Result<Option<Invitation>, StoreError> {
        let Some(token) = self.store.keyspace(BY_WEBID).get(&key(slug, webid))? else {
            return Ok(None);
        };
        let token = String::from_utf8_lossy(&token).into_owned();
        Ok(self
            .get(slug, &token)?
            .filter(|i| matches!(i.status, InvitationStatus::Claimed { .. })))
    }

    /// The place approved the `Join` of `joined`, the pod the invitation names: the invitation
    /// is accepted (the résidentothèque
    /// shows what the person's pod publishes, never the invitation).
    pub fn accept(
        &self,
        slug: &str,
        token: &str,
        joined: &str,
        now_ms: u64,
    ) -> Result<Invitation, InvitationError> {
        self.store.transaction(|tx| {
            let mut i = read(tx, slug, token)?.ok_or(InvitationError::NotFound)?;
            let InvitationStatus::Claimed { webid, .. } = &i.status else {
                return Err(InvitationError::AlreadyAccepted);
            };
            // The person may have named another pod while this one's Join was accepted.
            if webid != joined {
                return Err(InvitationError::WebIdTaken);
            }
            let webid = webid.clone();
            i.status = InvitationStatus::Accepted {
                webid,
                at_ms: now_ms,
            };
            write(tx, &i)?;
            Ok(i)
        })
    }

    /// Erases an invitation (the person declined it, or an admin withdrew it); returns it as
    /// it was.
    pub fn erase(&self, slug: &str, token: &str) -> Result<Invitation, InvitationError> {
        self.store.transaction(|tx| {
            let i = read(tx, slug, token)?.ok_or(InvitationError::NotFound)?;
            erase(tx, &i);
            Ok(i)
        })
    }

    /// Forgets the invitation of place `slug` that names `webid`, whatever its state, when the
    /// person leaves, is removed or deletes their pod: nothing of it stays (the place may invite
    /// them again). Whether there was one.
    pub fn forget(&self, slug: &str, webid: &str) -> Result<bool, StoreError> {
        self.store.transaction(|tx| {
            let Some(token) = tx.keyspace_get(BY_WEBID, &key(slug, webid))? else {
                return Ok(false);
            };
            let token = String::from_utf8_lossy(&token).into_owned();
            match read(tx, slug, &token)? {
                Some(i) => erase(tx, &i),
                None => tx.keyspace_remove(BY_WEBID, &key(slug, webid)),
            }
            Ok(true)
        })
    }

    /// Erases the invitations nobody accepted within [`INVITATION_DAYS`]; how many.
    pub fn erase_expired(&self, now_ms: u64) -> Result<usize, StoreError> {
        let limit = now_ms.saturating_sub(INVITATION_DAYS * 86_400_000);
        let mut old = Vec::new();
        for entry in self.store.keyspace(INVITATIONS).scan_prefix(b"") {
            let i = decode_record(&entry?.1)?;
            if i.created_ms < limit && !matches!(i.status, InvitationStatus::Accepted { .. }) {
                old.push(i);
            }
        }
        if old.is_empty() {
            return Ok(0);
        }
        self.store.transaction(|tx| {
            for i in &old {
                erase(tx, i);
            }
            Ok::<_, StoreError>(())
        })?;
        Ok(old.len())
    }
}
