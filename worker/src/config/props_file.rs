//! Reading Java `.properties` files (with Java's escapes, continuation lines and `:`/`=`
//! separators) into a [`Props`] map.

use std::path::Path;

use sluice_api::Props;

use super::ConfigFileError;

/// Reads a `.properties` file.
pub fn read_properties_file(path: &Path) -> Result<Props, ConfigFileError> {
    let text = std::fs::read(path).map_err(|source| ConfigFileError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    parse_properties(&text).map_err(|message| ConfigFileError::Malformed {
        path: path.to_path_buf(),
        message,
    })
}

/// Parses `.properties` text; the error describes the line that failed.
pub fn parse_properties(bytes: &[u8]) -> Result<Props, String> {
    if std::str::from_utf8(bytes).is_err() {
        return Err("the file is not valid UTF-8".to_string());
    }
    // The crate's message ends with `(line_number = N)`.
    let map = java_properties::read(bytes).map_err(|e| e.to_string())?;
    Ok(map.into_iter().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_escapes_and_continuations() {
        let text = "# comment\n! also comment\nname = file\\u0041\nkey:value\\\n  continued\nspaced\\ key=v\nempty=\n";
        let p = parse_properties(text.as_bytes()).unwrap();
        assert_eq!(p["name"], "fileA");
        assert_eq!(p["key"], "valuecontinued");
        assert_eq!(p["spaced key"], "v");
        assert_eq!(p["empty"], "");
    }

    #[test]
    fn malformed_escape_names_the_line() {
        let err = parse_properties(b"a=1\nb=\\uZZZZ\n").unwrap_err();
        assert!(err.contains("line_number = 2"), "{err}");
    }

    #[test]
    fn file_errors_name_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.properties");
        std::fs::write(&path, b"x=\\uZZ\n").unwrap();
        let err = read_properties_file(&path).unwrap_err().to_string();
        assert!(err.contains("w.properties"), "{err}");
        let err = read_properties_file(&dir.path().join("missing"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("missing"), "{err}");
    }
}
