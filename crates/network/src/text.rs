//! Text as the directory searches it: folded (lower case, no accents), cut into words, and HTML
//! from the fediverse flattened to plain text.

use unicode_normalization::UnicodeNormalization;

/// Lower case without accents or ligatures: "Épinay" and "epinay" are the same word.
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.nfkd() {
        if unicode_normalization::char::is_combining_mark(c) {
            continue;
        }
        match c {
            'œ' | 'Œ' => out.push_str("oe"),
            'æ' | 'Æ' => out.push_str("ae"),
            '’' => out.push('\''),
            c => out.extend(c.to_lowercase()),
        }
    }
    out
}

/// The words of a text, folded; words of one letter are dropped, and so are the commonest
/// French and English function words, which would match everything.
pub fn words(s: &str) -> Vec<String> {
    const STOP: &[&str] = &[
        "le", "la", "les", "de", "des", "du", "un", "une", "et", "en", "au", "aux", "a", "the",
        "of", "and", "to", "in", "pour", "par", "sur", "avec", "d", "l",
    ];
    fold(s)
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.chars().count() > 1 && !STOP.contains(w))
        .map(str::to_owned)
        .collect()
}

/// Plain text from HTML: tags removed, entities for the common characters decoded, blank
/// runs collapsed. Not a sanitizer: the result is always escaped again when shown.
pub fn strip_html(s: &str) -> String {
    if !s.contains('<') && !s.contains('&') {
        return s.trim().to_owned();
    }
    let mut out = String::with_capacity(s.len());
    let mut in_tag = false;
    for c in s.chars() {
        match c {
            '<' => {
                in_tag = true;
                out.push(' ');
            }
            '>' if in_tag => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    let decoded = out
        .replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&apos;", "'")
        .replace("&amp;", "&");
    decoded.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// At most `max` characters, cut at a word, with an ellipsis when cut.
pub fn truncate_words(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_owned();
    }
    let cut: String = s.chars().take(max.saturating_sub(1)).collect();
    let at_word = match cut.rfind(char::is_whitespace) {
        Some(i) if i > max / 2 => &cut[..i],
        _ => cut.as_str(),
    };
    format!("{}…", at_word.trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_removes_accents_and_case() {
        assert_eq!(fold("Épinay-sur-Seine Œuvre"), "epinay-sur-seine oeuvre");
        assert_eq!(words("La céramique et l’émail"), vec!["ceramique", "email"]);
    }

    #[test]
    fn html_becomes_text() {
        assert_eq!(
            strip_html("<p>Atelier <b>bois</b> &amp; métal</p><script>x</script>"),
            "Atelier bois & métal x"
        );
        assert_eq!(truncate_words("un deux trois quatre", 12), "un deux…");
        assert_eq!(truncate_words("court", 12), "court");
    }
}
