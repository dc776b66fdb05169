//! Template placeholders that migration tools expand before the SQL reaches
//! the database: Go templates (`{{ .Schema }}.users`), Flyway and Liquibase
//! properties (`${schema}`), and `$%NAME%$` markers.
//!
//! The text the database finally runs has a name or a value where each
//! placeholder stands, so each is masked by an identifier of the same byte
//! length (underscores). Offsets, lines and spans stay those of the file, and
//! the statement around the placeholder is parsed and judged as usual: a
//! `{{ .Schema }}.users` is the table `users` in some schema.

use std::borrow::Cow;

/// The placeholder forms: opening and closing delimiters.
const FORMS: &[(&str, &str)] = &[("{{", "}}"), ("${", "}"), ("$%", "%$")];

/// Placeholders longer than this are not placeholders (an unclosed `{{` in
/// a comment must not swallow the file).
const MAX_PLACEHOLDER: usize = 256;

/// `sql` with every template placeholder masked, or `sql` itself when it has
/// none (the common case costs one scan and no copy).
pub(super) fn mask(sql: &str) -> Cow<'_, str> {
    if !FORMS.iter().any(|(open, _)| sql.contains(open)) {
        return Cow::Borrowed(sql);
    }
    let mut bytes = sql.as_bytes().to_vec();
    let mut i = 0;
    let mut changed = false;
    while i < bytes.len() {
        let Some((open, close)) = FORMS.iter().find(|(open, _)| bytes[i..].starts_with(open.as_bytes())) else {
            i += 1;
            continue;
        };
        let body_start = i + open.len();
        let limit = (body_start + MAX_PLACEHOLDER).min(bytes.len());
        let end = bytes[body_start..limit]
            .windows(close.len())
            .position(|w| w == close.as_bytes())
            .map(|p| body_start + p + close.len());
        // A placeholder never spans lines: a line break means this was no
        // placeholder, and the text is left as it is.
        match end {
            Some(end) if !bytes[i..end].contains(&b'\n') => {
                bytes[i..end].iter_mut().for_each(|b| *b = b'_');
                changed = true;
                i = end;
            }
            _ => i += open.len(),
        }
    }
    if !changed {
        return Cow::Borrowed(sql);
    }
    // Only whole placeholders were replaced, each by ASCII bytes, and a
    // placeholder starts and ends on ASCII delimiters: the text is still UTF-8.
    match String::from_utf8(bytes) {
        Ok(s) => Cow::Owned(s),
        Err(_) => Cow::Borrowed(sql),
    }
}

#[cfg(test)]
mod tests {
    use super::mask;

    #[test]
    fn placeholders_become_identifiers_of_the_same_length() {
        let sql = "CREATE TABLE {{ .Schema }}.users (id int);";
        let masked = mask(sql);
        assert_eq!(masked.len(), sql.len());
        assert_eq!(masked, "CREATE TABLE _____________.users (id int);");
        assert_eq!(mask("ALTER TABLE ${schema}.t ADD c int"), "ALTER TABLE _________.t ADD c int");
        assert_eq!(mask("GRANT ALL ON t TO $%ROLE%$"), "GRANT ALL ON t TO ________");
    }

    #[test]
    fn text_without_placeholders_is_not_copied() {
        assert!(matches!(mask("SELECT '{' FROM t"), std::borrow::Cow::Borrowed(_)));
        // Unclosed, or closed only on a later line: left alone.
        assert_eq!(mask("SELECT 1; -- {{ not closed\nSELECT 2 }}"), "SELECT 1; -- {{ not closed\nSELECT 2 }}");
    }

    #[test]
    fn multibyte_text_inside_a_placeholder_keeps_the_text_valid() {
        let sql = "SELECT {{ .Ünï }} FROM é";
        let masked = mask(sql);
        assert_eq!(masked.len(), sql.len());
        assert!(masked.ends_with("FROM é"));
    }
}
