//! Mapping templates, limited to the part of API Gateway's Velocity (VTL) templates that needs no
//! interpreter: literal text with `$context.*` and `$stageVariables.*` references.
//!
//! That subset covers mock integrations (`{"statusCode": 200}`), static integration responses and
//! gateway response bodies (`{"message":$context.error.messageString}`). A template that uses
//! directives (`#set`, `#if`, ...) or other references (`$input`, `$util`) is refused at load time
//! with [`TemplateError::Unsupported`], never rendered half-way.

use std::fmt;

use crate::context::ContextVar;

/// A parsed template: literal text and variable references, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Template {
    parts: Vec<Part>,
    source: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Part {
    Literal(String),
    Context(ContextVar),
    StageVariable(String),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    #[error(
        "mapping template uses {0}, which needs the Velocity template engine; only $context and $stageVariables references are supported so far"
    )]
    Unsupported(String),
    #[error("unknown variable $context.{0}")]
    UnknownContextVariable(String),
    #[error("malformed reference at byte {0}")]
    Malformed(usize),
}

const DIRECTIVES: &[&str] = &[
    "set", "if", "else", "elseif", "end", "foreach", "macro", "include", "parse", "stop", "break",
    "define", "evaluate",
];

impl Template {
    pub fn parse(source: &str) -> Result<Template, TemplateError> {
        let mut parts = Vec::new();
        let mut literal = String::new();
        let bytes = source.as_bytes();
        let mut i = 0;
        while let Some(&byte) = bytes.get(i) {
            match byte {
                b'#' => {
                    check_directive(&source[i + 1..])?;
                    literal.push('#');
                    i += 1;
                }
                b'$' => match parse_reference(source, i)? {
                    Some((part, end)) => {
                        if !literal.is_empty() {
                            parts.push(Part::Literal(std::mem::take(&mut literal)));
                        }
                        parts.push(part);
                        i = end;
                    }
                    None => {
                        literal.push('$');
                        i += 1;
                    }
                },
                _ => {
                    // Copy the run of ordinary characters up to the next special byte.
                    let end = source[i..]
                        .find(['#', '$'])
                        .map_or(source.len(), |off| i + off);
                    literal.push_str(&source[i..end]);
                    i = end;
                }
            }
        }
        if !literal.is_empty() {
            parts.push(Part::Literal(literal));
        }
        Ok(Template {
            parts,
            source: source.to_string(),
        })
    }

    pub fn parts(&self) -> &[Part] {
        &self.parts
    }

    /// The template text as written.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// True when the template is plain text.
    pub fn is_static(&self) -> bool {
        self.parts.iter().all(|p| matches!(p, Part::Literal(_)))
    }
}

impl fmt::Display for Template {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

fn check_directive(after_hash: &str) -> Result<(), TemplateError> {
    if after_hash.starts_with('#') || after_hash.starts_with('*') {
        return Err(TemplateError::Unsupported("a Velocity comment".into()));
    }
    let body = after_hash.strip_prefix('{').unwrap_or(after_hash);
    let word: String = body
        .chars()
        .take_while(|c| c.is_ascii_alphabetic())
        .collect();
    if DIRECTIVES.contains(&word.as_str()) {
        return Err(TemplateError::Unsupported(format!("the #{word} directive")));
    }
    Ok(())
}

/// Parses the reference starting at `start` (a `$`). Returns `None` when the `$` is literal text
/// (not followed by an identifier), as Velocity does.
fn parse_reference(source: &str, start: usize) -> Result<Option<(Part, usize)>, TemplateError> {
    let mut i = start + 1;
    let rest = &source[i..];
    let quiet = rest.starts_with('!');
    if quiet {
        i += 1;
    }
    let braced = source[i..].starts_with('{');
    if braced {
        i += 1;
    }
    let name_end = source[i..]
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
        .map_or(source.len(), |off| i + off);
    let mut name = &source[i..name_end];
    let mut end = name_end;
    if braced {
        if !source[end..].starts_with('}') {
            return Err(TemplateError::Malformed(start));
        }
        end += 1;
    } else {
        // An unbraced reference never ends with a dot: `$context.requestId.` is the variable
        // followed by a literal dot.
        while let Some(stripped) = name.strip_suffix('.') {
            name = stripped;
            end -= 1;
        }
    }
    if name.is_empty() || !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
        if braced || quiet {
            return Err(TemplateError::Malformed(start));
        }
        return Ok(None);
    }
    let (root, path) = name.split_once('.').unwrap_or((name, ""));
    let part = match root {
        "context" => Part::Context(
            ContextVar::parse(path)
                .ok_or_else(|| TemplateError::UnknownContextVariable(path.to_string()))?,
        ),
        "stageVariables" if !path.is_empty() && !path.contains('.') => {
            Part::StageVariable(path.to_string())
        }
        other => {
            return Err(TemplateError::Unsupported(format!("${other}")));
        }
    };
    Ok(Some((part, end)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::ErrorVar;

    #[test]
    fn default_gateway_response_template() {
        let t = Template::parse(r#"{"message":$context.error.messageString}"#).unwrap();
        assert_eq!(
            t.parts(),
            &[
                Part::Literal(r#"{"message":"#.into()),
                Part::Context(ContextVar::Error(ErrorVar::MessageString)),
                Part::Literal("}".into()),
            ]
        );
    }

    #[test]
    fn braced_quiet_and_stage_variables() {
        let t = Template::parse("a${context.requestId}b$!{stageVariables.x}.c$stageVariables.y.")
            .unwrap();
        assert_eq!(
            t.parts(),
            &[
                Part::Literal("a".into()),
                Part::Context(ContextVar::RequestId),
                Part::Literal("b".into()),
                Part::StageVariable("x".into()),
                Part::Literal(".c".into()),
                Part::StageVariable("y".into()),
                Part::Literal(".".into()),
            ]
        );
    }

    #[test]
    fn static_text_keeps_lone_dollars_and_hashes() {
        let t = Template::parse(r##"{"price": "$5", "tag": "#1", "statusCode": 200}"##).unwrap();
        assert!(t.is_static());
        assert_eq!(
            t.to_string(),
            r##"{"price": "$5", "tag": "#1", "statusCode": 200}"##
        );
    }

    #[test]
    fn velocity_features_are_refused() {
        for src in [
            "#set($x = 1)",
            "#if($a)x#end",
            "$input.json('$')",
            "$util.escapeJavaScript('x')",
            "## comment",
            "#{if}",
        ] {
            assert!(
                matches!(Template::parse(src), Err(TemplateError::Unsupported(_))),
                "{src}"
            );
        }
        assert_eq!(
            Template::parse("$context.nope"),
            Err(TemplateError::UnknownContextVariable("nope".into()))
        );
        assert!(matches!(
            Template::parse("${context.requestId"),
            Err(TemplateError::Malformed(0))
        ));
    }
}
