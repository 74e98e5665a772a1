//! JAAS configurations: `sasl.jaas.config` (one login module entry, parsed as Java's
//! `JaasConfig` parses it), from which the worker's Kafka clients and the group-membership
//! client read their SASL username and password; and JAAS files with named sections, which
//! configure the REST API's basic authentication.

use std::collections::BTreeMap;

/// One login module entry of a JAAS configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JaasEntry {
    /// The login module class name.
    pub login_module: String,
    /// The control flag (`required`, `requisite`, `sufficient`, `optional`).
    pub flag: String,
    /// The options (`name=value`, values unquoted).
    pub options: BTreeMap<String, String>,
}

/// Parses a `sasl.jaas.config` value as Java's `JaasConfig` does: exactly one entry
/// `<LoginModule> <flag> [name=value ...];`, values either bare words or double-quoted with
/// backslash escapes.
pub fn parse_jaas(text: &str) -> Result<JaasEntry, String> {
    let tokens = jaas_tokens(text)?;
    let mut it = tokens.into_iter().peekable();
    let entry = parse_entry(&mut it)?;
    if it.next().is_some() {
        return Err("exactly one login module entry is expected".to_string());
    }
    Ok(entry)
}

/// Parses a JAAS login configuration file (the file `java.security.auth.login.config`
/// names): sections `Name { <entry>; ... };`, with `//` and `/* */` comments. Returns the
/// entries of each section by name.
pub fn parse_jaas_file(text: &str) -> Result<BTreeMap<String, Vec<JaasEntry>>, String> {
    let tokens = jaas_tokens(&strip_comments(text))?;
    let mut it = tokens.into_iter().peekable();
    let mut sections = BTreeMap::new();
    while let Some(token) = it.next() {
        let JaasToken::Word(name) = token else {
            return Err("a section name is expected".to_string());
        };
        if it.next() != Some(JaasToken::Open) {
            return Err(format!("section {name}: '{{' is expected after its name"));
        }
        let mut entries = Vec::new();
        loop {
            match it.peek() {
                Some(JaasToken::Close) => {
                    it.next();
                    break;
                }
                None => return Err(format!("section {name}: '}}' is missing")),
                Some(_) => {
                    entries.push(parse_entry(&mut it).map_err(|e| format!("section {name}: {e}"))?)
                }
            }
        }
        if it.next() != Some(JaasToken::Semicolon) {
            return Err(format!("section {name}: '}};' is expected at its end"));
        }
        sections.insert(name, entries);
    }
    Ok(sections)
}

/// One `<LoginModule> <flag> [name=value ...];` entry from the tokens.
fn parse_entry(
    it: &mut std::iter::Peekable<std::vec::IntoIter<JaasToken>>,
) -> Result<JaasEntry, String> {
    let login_module = match it.next() {
        Some(JaasToken::Word(w)) => w,
        _ => return Err("the login module class name is missing".to_string()),
    };
    let flag = match it.next() {
        Some(JaasToken::Word(w)) => w.to_ascii_lowercase(),
        _ => return Err("the control flag (such as required) is missing".to_string()),
    };
    if !matches!(
        flag.as_str(),
        "required" | "requisite" | "sufficient" | "optional"
    ) {
        return Err(format!("Invalid control flag {flag}"));
    }
    let mut options = BTreeMap::new();
    loop {
        match it.next() {
            Some(JaasToken::Semicolon) => break,
            Some(JaasToken::Word(name)) => {
                if it.next() != Some(JaasToken::Equals) {
                    return Err(format!("the option {name} has no value (name=value)"));
                }
                let value = match it.next() {
                    Some(JaasToken::Word(v)) | Some(JaasToken::Quoted(v)) => v,
                    _ => return Err(format!("the option {name} has no value")),
                };
                options.insert(name, value);
            }
            _ => return Err("the entry must end with ';'".to_string()),
        }
    }
    Ok(JaasEntry {
        login_module,
        flag,
        options,
    })
}

/// Removes `//` line comments and `/* */` block comments outside double quotes.
fn strip_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                quoted = !quoted;
                out.push(c);
            }
            '\\' if quoted => {
                out.push(c);
                if let Some(n) = chars.next() {
                    out.push(n);
                }
            }
            '/' if !quoted && chars.peek() == Some(&'/') => {
                for n in chars.by_ref() {
                    if n == '\n' {
                        out.push('\n');
                        break;
                    }
                }
            }
            '/' if !quoted && chars.peek() == Some(&'*') => {
                chars.next();
                let mut prev = ' ';
                for n in chars.by_ref() {
                    if prev == '*' && n == '/' {
                        break;
                    }
                    prev = n;
                }
                out.push(' ');
            }
            c => out.push(c),
        }
    }
    out
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum JaasToken {
    Word(String),
    Quoted(String),
    Equals,
    Semicolon,
    Open,
    Close,
}

fn jaas_tokens(text: &str) -> Result<Vec<JaasToken>, String> {
    let mut tokens = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(&c) = chars.peek() {
        match c {
            c if c.is_whitespace() => {
                chars.next();
            }
            '=' => {
                chars.next();
                tokens.push(JaasToken::Equals);
            }
            ';' => {
                chars.next();
                tokens.push(JaasToken::Semicolon);
            }
            '{' => {
                chars.next();
                tokens.push(JaasToken::Open);
            }
            '}' => {
                chars.next();
                tokens.push(JaasToken::Close);
            }
            '"' => {
                chars.next();
                let mut value = String::new();
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(e) => value.push(e),
                            None => return Err("unterminated quoted value".to_string()),
                        },
                        Some(ch) => value.push(ch),
                        None => return Err("unterminated quoted value".to_string()),
                    }
                }
                tokens.push(JaasToken::Quoted(value));
            }
            _ => {
                let mut word = String::new();
                while let Some(&ch) = chars.peek() {
                    if ch.is_whitespace() || matches!(ch, '=' | ';' | '"' | '{' | '}') {
                        break;
                    }
                    word.push(ch);
                    chars.next();
                }
                tokens.push(JaasToken::Word(word));
            }
        }
    }
    Ok(tokens)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jaas_parsing() {
        let e = parse_jaas(
            "org.apache.kafka.common.security.scram.ScramLoginModule required\n  \
             username=admin password=\"a b=;c\" tokenauth=false ;",
        )
        .expect("jaas");
        assert_eq!(
            e.login_module,
            "org.apache.kafka.common.security.scram.ScramLoginModule"
        );
        assert_eq!(e.flag, "required");
        assert_eq!(e.options.get("username").map(String::as_str), Some("admin"));
        assert_eq!(
            e.options.get("password").map(String::as_str),
            Some("a b=;c")
        );
        assert_eq!(
            e.options.get("tokenauth").map(String::as_str),
            Some("false")
        );
        assert!(parse_jaas("Module required username=\"u\"").is_err());
        assert!(parse_jaas("Module always username=\"u\";").is_err());
        assert!(parse_jaas("Module required username=\"u;").is_err());
        assert!(parse_jaas("Module required username;").is_err());
        assert!(parse_jaas("A required; B required;").is_err());
    }

    #[test]
    fn jaas_files_have_named_sections_and_comments() {
        let file = r#"
            // The REST API's users.
            KafkaConnect {
              org.apache.kafka.connect.rest.basic.auth.extension.PropertyFileLoginModule required
              file="/etc/kafka/connect.password"; /* one entry */
            };
            Other { a.B optional; c.D required x=1; };
        "#;
        let sections = parse_jaas_file(file).expect("file");
        let connect = &sections["KafkaConnect"];
        assert_eq!(connect.len(), 1);
        assert_eq!(
            connect[0].options.get("file").map(String::as_str),
            Some("/etc/kafka/connect.password")
        );
        assert_eq!(sections["Other"].len(), 2);
        assert!(parse_jaas_file("KafkaConnect { a.B required; }").is_err());
        assert!(parse_jaas_file("KafkaConnect a.B required; };").is_err());
    }
}
