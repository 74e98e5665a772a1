//! `java.util.regex` semantics on top of the `regex` crate: pattern translation, `matches()`
//! (whole-input match), `replaceFirst` and Java's replacement syntax (`$1`, `${name}`, `\$`).
//!
//! The translation covers the Java syntax users write in topic patterns: `\Q…\E` quoting,
//! POSIX classes (`\p{Alpha}`, `\p{Lower}`, …), `\uXXXX`, octal `\0nn`, `\e`, `\h`, `\R`,
//! escaped punctuation, Java inline flags, and class syntax the `regex` crate reads differently
//! (`--`, `~~`). Constructs the `regex` crate cannot express (look-around, back-references,
//! atomic groups, possessive quantifiers) are reported as an invalid pattern rather than
//! silently matching differently.

use std::fmt;

use regex::Regex;

/// A compiled Java regular expression.
#[derive(Debug, Clone)]
pub struct JavaRegex {
    pattern: String,
    find: Regex,
    whole: Regex,
}

impl fmt::Display for JavaRegex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.pattern)
    }
}

impl JavaRegex {
    /// `Pattern.compile(pattern)`; the error describes why the pattern is invalid.
    pub fn compile(pattern: &str) -> Result<JavaRegex, String> {
        let translated = translate(pattern)?;
        let find = Regex::new(&translated).map_err(|e| e.to_string())?;
        // In verbose mode a trailing `#` comment would swallow the closing group; a newline
        // ends the comment and is itself ignored in that mode.
        let end = if translated.contains("(?") && has_verbose_flag(&translated) {
            "\n"
        } else {
            ""
        };
        let whole =
            Regex::new(&format!(r"\A(?:{translated}{end})\z")).map_err(|e| e.to_string())?;
        Ok(JavaRegex {
            pattern: pattern.to_string(),
            find,
            whole,
        })
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.pattern
    }

    /// `matcher(input).matches()`: the whole input matches.
    pub fn matches(&self, input: &str) -> bool {
        self.whole.is_match(input)
    }

    /// The number of capturing groups (`groupCount()`).
    pub fn group_count(&self) -> usize {
        self.find.captures_len().saturating_sub(1)
    }

    /// Parses a Java replacement string against this pattern's groups.
    pub fn replacement(&self, replacement: &str) -> Replacement {
        Replacement::parse(replacement, &self.find)
    }

    /// `matcher(input).replaceFirst(replacement)`.
    pub fn replace_first(&self, input: &str, replacement: &Replacement) -> Result<String, String> {
        let Some(caps) = self.find.captures(input) else {
            return Ok(input.to_string());
        };
        let parts = replacement.parts.as_ref().map_err(Clone::clone)?;
        let whole = caps.get(0).map_or(0..0, |m| m.range());
        let mut out = String::with_capacity(input.len() + 16);
        out.push_str(&input[..whole.start]);
        for part in parts {
            match part {
                Part::Literal(s) => out.push_str(s),
                Part::Group(i) => {
                    if let Some(m) = caps.get(*i) {
                        out.push_str(m.as_str());
                    }
                }
            }
        }
        out.push_str(&input[whole.end..]);
        Ok(out)
    }
}

fn has_verbose_flag(translated: &str) -> bool {
    let bytes = translated.as_bytes();
    let mut i = 0;
    while i + 1 < bytes.len() {
        if bytes[i] == b'(' && bytes[i + 1] == b'?' {
            let mut j = i + 2;
            while let Some(&b) = bytes.get(j) {
                if b == b'x' {
                    return true;
                }
                if !(b.is_ascii_alphabetic() || b == b'-') {
                    break;
                }
                j += 1;
            }
        }
        i += 1;
    }
    false
}

/// A parsed Java replacement string (`Matcher.appendReplacement` syntax).
#[derive(Debug, Clone)]
pub struct Replacement {
    parts: Result<Vec<Part>, String>,
}

#[derive(Debug, Clone)]
enum Part {
    Literal(String),
    Group(usize),
}

impl Replacement {
    fn parse(replacement: &str, regex: &Regex) -> Replacement {
        Replacement {
            parts: parse_replacement(replacement, regex),
        }
    }
}

fn parse_replacement(replacement: &str, regex: &Regex) -> Result<Vec<Part>, String> {
    let group_count = regex.captures_len().saturating_sub(1);
    let chars: Vec<char> = replacement.chars().collect();
    let mut parts = Vec::new();
    let mut literal = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\\' {
            i += 1;
            let Some(&escaped) = chars.get(i) else {
                return Err("character to be escaped is missing".to_string());
            };
            literal.push(escaped);
            i += 1;
        } else if c == '$' {
            i += 1;
            let Some(&next) = chars.get(i) else {
                return Err("Illegal group reference: group index is missing".to_string());
            };
            let group = if next == '{' {
                i += 1;
                let start = i;
                while i < chars.len() && chars[i].is_ascii_alphanumeric() {
                    i += 1;
                }
                if i == start {
                    return Err("named capturing group has 0 length name".to_string());
                }
                if chars.get(i) != Some(&'}') {
                    return Err("named capturing group is missing trailing '}'".to_string());
                }
                let name: String = chars[start..i].iter().collect();
                i += 1;
                regex
                    .capture_names()
                    .position(|n| n == Some(name.as_str()))
                    .ok_or_else(|| format!("No group with name {{{name}}}"))?
            } else {
                let Some(first) = next.to_digit(10) else {
                    return Err("Illegal group reference".to_string());
                };
                i += 1;
                let mut group = first as usize;
                // Java takes the longest group number that exists.
                while let Some(d) = chars.get(i).and_then(|c| c.to_digit(10)) {
                    let candidate = group * 10 + d as usize;
                    if candidate > group_count {
                        break;
                    }
                    group = candidate;
                    i += 1;
                }
                if group > group_count {
                    return Err(format!("No group {group}"));
                }
                group
            };
            if !literal.is_empty() {
                parts.push(Part::Literal(std::mem::take(&mut literal)));
            }
            parts.push(Part::Group(group));
        } else {
            literal.push(c);
            i += 1;
        }
    }
    if !literal.is_empty() {
        parts.push(Part::Literal(literal));
    }
    Ok(parts)
}

/// Translates Java pattern syntax into `regex` crate syntax.
fn translate(pattern: &str) -> Result<String, String> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut out = String::with_capacity(pattern.len() + 8);
    let mut class_depth = 0usize;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\\' => {
                i += 1;
                let Some(&e) = chars.get(i) else {
                    return Err(format!(
                        "Unexpected internal error near index {}\n{pattern}",
                        chars.len()
                    ));
                };
                i += 1;
                i = translate_escape(&chars, i, e, &mut out)?;
            }
            '[' => {
                class_depth += 1;
                out.push('[');
                if chars.get(i + 1) == Some(&'^') {
                    out.push('^');
                    i += 1;
                }
                i += 1;
            }
            ']' if class_depth > 0 => {
                class_depth -= 1;
                out.push(']');
                i += 1;
            }
            '~' if class_depth > 0 => {
                out.push_str(r"\~");
                i += 1;
            }
            '-' if class_depth > 0 && chars.get(i + 1) == Some(&'-') => {
                out.push_str(r"\-");
                i += 1;
            }
            '(' if class_depth == 0 && chars.get(i + 1) == Some(&'?') => {
                i = translate_group_open(&chars, i, &mut out)?;
            }
            '*' | '+' | '?' | '}' if class_depth == 0 && chars.get(i + 1) == Some(&'+') => {
                return Err(format!(
                    "possessive quantifiers are not supported near index {i}\n{pattern}"
                ));
            }
            _ => {
                out.push(c);
                i += 1;
            }
        }
    }
    Ok(out)
}

/// Translates `(?…` at `i`; returns the index after what was consumed.
fn translate_group_open(chars: &[char], i: usize, out: &mut String) -> Result<usize, String> {
    let rest: String = chars[i + 2..].iter().take(3).collect();
    if rest.starts_with('=')
        || rest.starts_with('!')
        || rest.starts_with("<=")
        || rest.starts_with("<!")
        || rest.starts_with('>')
    {
        return Err(format!(
            "look-around and atomic groups are not supported near index {i}"
        ));
    }
    if rest.starts_with('<') {
        out.push_str("(?<");
        return Ok(i + 3);
    }
    // Inline flags: Java's `d`, `u` and `U` have no counterpart (the `regex` crate reads `U`
    // as swap-greed), so they are dropped; `i`, `m`, `s`, `x` are kept.
    let mut j = i + 2;
    let mut flags = String::new();
    while let Some(&f) = chars.get(j) {
        match f {
            'i' | 'm' | 's' | 'x' | '-' => flags.push(f),
            'd' | 'u' | 'U' | 'c' => {}
            ':' | ')' => break,
            _ => return Err(format!("Unknown inline modifier near index {j}")),
        }
        j += 1;
    }
    match chars.get(j) {
        Some(':') => {
            out.push_str("(?");
            out.push_str(&flags);
            out.push(':');
            Ok(j + 1)
        }
        Some(')') => {
            if !flags.is_empty() && flags != "-" {
                out.push_str("(?");
                out.push_str(&flags);
                out.push(')');
            }
            Ok(j + 1)
        }
        _ => Err(format!("Unknown group type near index {i}")),
    }
}

fn push_hex(out: &mut String, c: char) {
    out.push_str(&format!(r"\x{{{:X}}}", c as u32));
}

/// Translates the escape `\e` whose body starts at `i`; returns the index after it.
fn translate_escape(
    chars: &[char],
    mut i: usize,
    e: char,
    out: &mut String,
) -> Result<usize, String> {
    match e {
        'Q' => {
            let mut literal = String::new();
            while i < chars.len() {
                if chars[i] == '\\' && chars.get(i + 1) == Some(&'E') {
                    i += 2;
                    break;
                }
                literal.push(chars[i]);
                i += 1;
            }
            for c in literal.chars() {
                if c.is_ascii_alphanumeric() {
                    out.push(c);
                } else {
                    push_hex(out, c);
                }
            }
        }
        'E' => {}
        'Z' => out.push_str(r"\z"),
        'e' => out.push_str(r"\x1B"),
        'a' => out.push_str(r"\x07"),
        'h' => {
            out.push_str(r"[\t\x20\xA0\x{1680}\x{180E}\x{2000}-\x{200A}\x{202F}\x{205F}\x{3000}]")
        }
        'H' => {
            out.push_str(r"[^\t\x20\xA0\x{1680}\x{180E}\x{2000}-\x{200A}\x{202F}\x{205F}\x{3000}]")
        }
        'v' => out.push_str(r"[\n\x0B\f\r\x{85}\x{2028}\x{2029}]"),
        'V' => out.push_str(r"[^\n\x0B\f\r\x{85}\x{2028}\x{2029}]"),
        'R' => out.push_str(r"(?:\r\n|[\n\x0B\f\r\x{85}\x{2028}\x{2029}])"),
        'u' => {
            let hex: String = chars.iter().skip(i).take(4).collect();
            if hex.len() != 4 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
                return Err(format!("Illegal Unicode escape sequence near index {i}"));
            }
            out.push_str(&format!(r"\x{{{hex}}}"));
            i += 4;
        }
        '0' => {
            let mut value = 0u32;
            let mut digits = 0;
            while digits < 3 {
                match chars.get(i).and_then(|c| c.to_digit(8)) {
                    Some(d) if value * 8 + d <= 0o377 => {
                        value = value * 8 + d;
                        i += 1;
                        digits += 1;
                    }
                    _ => break,
                }
            }
            if digits == 0 {
                return Err(format!("Illegal octal escape sequence near index {i}"));
            }
            out.push_str(&format!(r"\x{{{value:X}}}"));
        }
        'c' => {
            let Some(&ctl) = chars.get(i) else {
                return Err(format!("Illegal control escape sequence near index {i}"));
            };
            out.push_str(&format!(r"\x{{{:X}}}", (ctl as u32) ^ 64));
            i += 1;
        }
        'p' | 'P' => {
            let (name, next) = if chars.get(i) == Some(&'{') {
                let end = chars[i..]
                    .iter()
                    .position(|&c| c == '}')
                    .map(|p| i + p)
                    .ok_or_else(|| format!("Unclosed character family near index {i}"))?;
                (chars[i + 1..end].iter().collect::<String>(), end + 1)
            } else {
                let Some(&single) = chars.get(i) else {
                    return Err(format!("Illegal character family near index {i}"));
                };
                (single.to_string(), i + 1)
            };
            i = next;
            let negate = e == 'P';
            match posix_class(&name) {
                Some(set) => {
                    out.push('[');
                    if negate {
                        out.push('^');
                    }
                    out.push_str(set);
                    out.push(']');
                }
                None => {
                    let name = name
                        .strip_prefix("Is")
                        .or_else(|| name.strip_prefix("general_category="))
                        .or_else(|| name.strip_prefix("gc="))
                        .or_else(|| name.strip_prefix("script="))
                        .or_else(|| name.strip_prefix("sc="))
                        .unwrap_or(&name);
                    let name = java_named_property(name).unwrap_or(name);
                    out.push('\\');
                    out.push(e);
                    out.push('{');
                    out.push_str(name);
                    out.push('}');
                }
            }
        }
        '1'..='9' | 'k' => {
            return Err(format!(
                "back-references are not supported near index {}",
                i.saturating_sub(1)
            ))
        }
        'G' | 'X' | 'N' => {
            return Err(format!(
                "\\{e} is not supported near index {}",
                i.saturating_sub(1)
            ))
        }
        c if c.is_ascii_alphabetic() => {
            // \d \D \s \S \w \W \b \B \A \z \t \n \r \f \x…: same meaning in both dialects.
            out.push('\\');
            out.push(c);
        }
        c => push_hex(out, c),
    }
    Ok(i)
}

/// Java's POSIX character classes (US-ASCII only).
fn posix_class(name: &str) -> Option<&'static str> {
    Some(match name {
        "Lower" => "a-z",
        "Upper" => "A-Z",
        "ASCII" => r"\x00-\x7F",
        "Alpha" => "a-zA-Z",
        "Digit" => "0-9",
        "Alnum" => "a-zA-Z0-9",
        "Punct" => r"!-/:-@\[-`{-\~",
        "Graph" => r"!-\~",
        "Print" => r"\x20-\~",
        "Blank" => r"\x20\t",
        "Cntrl" => r"\x00-\x1F\x7F",
        "XDigit" => "0-9a-fA-F",
        "Space" => r"\x20\t\n\x0B\f\r",
        _ => return None,
    })
}

/// Java's `java.lang.Character` classes (`\p{javaLowerCase}`, …).
fn java_named_property(name: &str) -> Option<&'static str> {
    Some(match name {
        "javaLowerCase" => "Lowercase",
        "javaUpperCase" => "Uppercase",
        "javaWhitespace" | "WhiteSpace" => "White_Space",
        "javaAlphabetic" | "Alphabetic" => "Alphabetic",
        "javaDigit" | "Digit" => "Nd",
        "javaLetter" | "Letter" => "L",
        "javaLetterOrDigit" => "Alphabetic",
        "Punctuation" => "P",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn route(pattern: &str, replacement: &str, topic: &str) -> Result<String, String> {
        let re = JavaRegex::compile(pattern)?;
        if !re.matches(topic) {
            return Ok(topic.to_string());
        }
        re.replace_first(topic, &re.replacement(replacement))
    }

    #[test]
    fn whole_match_is_required() {
        let re = JavaRegex::compile("foo").unwrap();
        assert!(re.matches("foo"));
        assert!(!re.matches("foobar"));
        assert!(!re.matches("xfoo"));
        // alternation: Java's matches() backtracks into the longer branch
        assert!(JavaRegex::compile("a|ab").unwrap().matches("ab"));
    }

    #[test]
    fn replacement_groups_follow_java() {
        assert_eq!(route("(.*)-(.*)", "$2_$1", "a-b").unwrap(), "b_a");
        assert_eq!(
            route("(?<name>[a-z]+)\\.(\\d+)", "${name}-x$2", "abc.12").unwrap(),
            "abc-x12"
        );
        // `$10` with one group is group 1 followed by a literal 0
        assert_eq!(route("(a)", "$10", "a").unwrap(), "a0");
        // escaped dollar and backslash
        assert_eq!(route("(a)", "\\$1\\\\", "a").unwrap(), "$1\\");
        // braces after a group number are literal
        assert_eq!(route("(a)", "$1{x}", "a").unwrap(), "a{x}");
    }

    #[test]
    fn replacement_errors_are_javas() {
        assert_eq!(route("(a)", "$2", "a").unwrap_err(), "No group 2");
        assert_eq!(
            route("(a)", "$x", "a").unwrap_err(),
            "Illegal group reference"
        );
        assert_eq!(
            route("(a)", "x\\", "a").unwrap_err(),
            "character to be escaped is missing"
        );
        assert_eq!(
            route("(a)", "${nope}", "a").unwrap_err(),
            "No group with name {nope}"
        );
        // no error when the topic does not match
        assert_eq!(route("(a)", "$2", "b").unwrap(), "b");
    }

    #[test]
    fn reluctant_empty_match_replaces_first_find_only() {
        assert_eq!(route("a*?", "X", "aaa").unwrap(), "Xaaa");
    }

    #[test]
    fn java_only_syntax_is_translated() {
        assert!(JavaRegex::compile(r"\Qa.b\E").unwrap().matches("a.b"));
        assert!(!JavaRegex::compile(r"\Qa.b\E").unwrap().matches("axb"));
        assert!(JavaRegex::compile(r"\p{Lower}+\p{Digit}")
            .unwrap()
            .matches("abc1"));
        assert!(!JavaRegex::compile(r"\p{Lower}+").unwrap().matches("aBc"));
        assert!(JavaRegex::compile(r"[\p{Upper}_]+").unwrap().matches("A_B"));
        assert!(JavaRegex::compile(r"a\<b\>").unwrap().matches("a<b>"));
        assert!(JavaRegex::compile(r"\u0041").unwrap().matches("A"));
        assert!(JavaRegex::compile(r"[a~]+").unwrap().matches("a~"));
        assert!(JavaRegex::compile(r"(?i)abc").unwrap().matches("ABC"));
        assert!(JavaRegex::compile("(?x) a b # comment")
            .unwrap()
            .matches("ab"));
        // Java's U flag (Unicode classes) must not become swap-greed
        assert_eq!(route("(?U)(a+)(.*)", "$1", "aaab").unwrap(), "aaa");
    }

    #[test]
    fn unsupported_constructs_are_errors_not_silent_differences() {
        assert!(JavaRegex::compile("(?=a)a").is_err());
        assert!(JavaRegex::compile(r"(a)\1").is_err());
        assert!(JavaRegex::compile("a++").is_err());
        assert!(JavaRegex::compile("(unclosed").is_err());
    }
}
