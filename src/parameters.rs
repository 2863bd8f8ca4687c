//! The parameters of a provider's list operation as its spec gives them (name, where they
//! go, schema, description), and values typed in by a person read by each parameter's
//! schema: what `purchases list --param NAME=VALUE` and `purchases params` use.

use crate::Provider;
use serde_json::Value;

/// One parameter of a list operation.
#[derive(Debug, Clone, PartialEq)]
pub struct Parameter {
    /// Its name, exactly as the spec writes it.
    pub name: String,
    /// Where it goes: `query`, `path`, or `body` (a property of the JSON body).
    pub location: String,
    /// Whether the spec requires it.
    pub required: bool,
    /// Its schema (`$ref`s followed).
    pub schema: Value,
    /// The spec's description, if any.
    pub description: Option<String>,
}

/// Every parameter of `provider`'s list operation, in the spec's order.
pub fn list_parameters(provider: Provider) -> Result<Vec<Parameter>, String> {
    let doc = crate::specs::normalized(provider)?;
    let operation = crate::providers::paging(provider).operation;
    let mut found = None;
    for item in doc["paths"]
        .as_object()
        .into_iter()
        .flat_map(|p| p.values())
    {
        for (method, op) in item.as_object().into_iter().flatten() {
            if op.get("operationId").and_then(Value::as_str) == Some(operation) {
                found = Some((item, method.clone(), op));
            }
        }
    }
    let (item, _, op) =
        found.ok_or_else(|| format!("{provider}: no operation {operation} in its spec"))?;
    let mut out = Vec::new();
    let declared = item["parameters"]
        .as_array()
        .into_iter()
        .chain(op["parameters"].as_array())
        .flatten();
    for p in declared {
        let p = resolve(&doc, p);
        out.push(Parameter {
            name: p["name"].as_str().unwrap_or_default().to_string(),
            location: p["in"].as_str().unwrap_or("query").to_string(),
            required: p["required"].as_bool().unwrap_or(false),
            schema: resolve(&doc, &p["schema"]).clone(),
            description: p["description"].as_str().map(str::trim).map(String::from),
        });
    }
    if let Some(body) = op.pointer("/requestBody/content/application~1json/schema") {
        let body = resolve(&doc, body);
        let required: Vec<&str> = body["required"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        for (name, schema) in body["properties"].as_object().into_iter().flatten() {
            let schema = resolve(&doc, schema);
            out.push(Parameter {
                name: name.clone(),
                location: "body".into(),
                required: required.contains(&name.as_str()),
                description: schema["description"]
                    .as_str()
                    .map(str::trim)
                    .map(String::from),
                schema: schema.clone(),
            });
        }
    }
    Ok(out)
}

/// `v`, or what its local `$ref` points at.
fn resolve<'a>(doc: &'a Value, v: &'a Value) -> &'a Value {
    match v.get("$ref").and_then(Value::as_str) {
        Some(r) => r
            .strip_prefix('#')
            .and_then(|p| doc.pointer(p))
            .map(|target| resolve(doc, target))
            .unwrap_or(v),
        None => v,
    }
}

impl Parameter {
    /// What the parameter takes, for people: `integer from 1 to 1000`, `boolean`,
    /// `date-time (RFC 3339)`, `one of: A, B`, `string (at most 50 characters)`.
    pub fn takes(&self) -> String {
        let s = &self.schema;
        if let Some(values) = s["enum"].as_array() {
            let names: Vec<String> = values
                .iter()
                .map(|v| v.as_str().map_or_else(|| v.to_string(), String::from))
                .collect();
            return format!("one of: {}", names.join(", "));
        }
        match (s["type"].as_str(), s["format"].as_str()) {
            (Some("integer"), _) => match (s["minimum"].as_i64(), s["maximum"].as_i64()) {
                (Some(lo), Some(hi)) => format!("integer from {lo} to {hi}"),
                (Some(lo), None) => format!("integer, at least {lo}"),
                (None, Some(hi)) => format!("integer, at most {hi}"),
                (None, None) => "integer".into(),
            },
            (Some("boolean"), _) => "boolean (true or false)".into(),
            (Some("number"), _) | (Some("string"), Some("decimal")) => "decimal number".into(),
            (Some("string"), Some("date-time")) => "date-time (RFC 3339)".into(),
            (Some("string"), Some("uuid")) => "uuid".into(),
            (Some("string"), _) | (None, _) => match s["maxLength"].as_u64() {
                Some(n) => format!("string (at most {n} characters)"),
                None => "string".into(),
            },
            (Some(other), _) => other.to_string(),
        }
    }

    /// `text` as the JSON value the parameter's schema takes, or why it is not one.
    pub fn parse(&self, text: &str) -> Result<Value, String> {
        let s = &self.schema;
        let refuse = || format!("--param {}: {text:?} is not a {}", self.name, self.takes());
        if let Some(values) = s["enum"].as_array() {
            return values
                .iter()
                .find(|v| {
                    v.as_str() == Some(text)
                        || serde_json::from_str::<Value>(text).ok().as_ref() == Some(*v)
                })
                .cloned()
                .ok_or_else(refuse);
        }
        match (s["type"].as_str(), s["format"].as_str()) {
            (Some("integer"), _) => {
                let n: i64 = text.trim().parse().map_err(|_| refuse())?;
                let below = s["minimum"].as_i64().is_some_and(|lo| n < lo);
                let above = s["maximum"].as_i64().is_some_and(|hi| n > hi);
                if below || above {
                    return Err(refuse());
                }
                Ok(Value::from(n))
            }
            (Some("boolean"), _) => match text {
                "true" => Ok(Value::Bool(true)),
                "false" => Ok(Value::Bool(false)),
                _ => Err(refuse()),
            },
            (Some("number"), _) | (Some("string"), Some("decimal")) => {
                crate::decimal::parse_exact(text).map_err(|_| refuse())?;
                Ok(Value::String(text.to_string()))
            }
            (Some("string"), Some("date-time")) => {
                crate::datetime::parse(text).map_err(|_| refuse())?;
                Ok(Value::String(text.to_string()))
            }
            (Some("string"), Some("uuid")) => {
                uuid::Uuid::parse_str(text).map_err(|_| refuse())?;
                Ok(Value::String(text.to_string()))
            }
            _ => {
                let too_long = s["maxLength"]
                    .as_u64()
                    .is_some_and(|n| text.chars().count() as u64 > n);
                if too_long {
                    return Err(refuse());
                }
                Ok(Value::String(text.to_string()))
            }
        }
    }
}

/// `NAME=VALUE` pairs read against `provider`'s list parameters: each name must be one of
/// them, each value what its schema takes.
pub fn parse_params(
    provider: Provider,
    pairs: &[String],
) -> Result<serde_json::Map<String, Value>, String> {
    let parameters = list_parameters(provider)?;
    let mut out = serde_json::Map::new();
    for pair in pairs {
        let (name, value) = pair
            .split_once('=')
            .ok_or_else(|| format!("--param {pair:?}: expected NAME=VALUE"))?;
        let Some(p) = parameters.iter().find(|p| p.name == name) else {
            let names: Vec<&str> = parameters.iter().map(|p| p.name.as_str()).collect();
            return Err(format!(
                "{provider} has no parameter {name:?}: its list parameters are {}",
                names.join(", ")
            ));
        };
        out.insert(name.to_string(), p.parse(value)?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn param(schema: Value) -> Parameter {
        Parameter {
            name: "p".into(),
            location: "query".into(),
            required: false,
            schema,
            description: None,
        }
    }

    #[test]
    fn values_are_read_by_their_schema() {
        let int = param(json!({"type": "integer", "minimum": 1, "maximum": 100}));
        assert_eq!(int.parse("42").unwrap(), json!(42));
        assert!(int
            .parse("0")
            .unwrap_err()
            .contains("integer from 1 to 100"));
        assert!(int.parse("4.5").is_err());
        let flag = param(json!({"type": "boolean"}));
        assert_eq!(flag.parse("true").unwrap(), json!(true));
        assert!(flag.parse("yes").unwrap_err().contains("boolean"));
        let time = param(json!({"type": "string", "format": "date-time"}));
        assert_eq!(
            time.parse("2024-06-01T00:00:00Z").unwrap(),
            json!("2024-06-01T00:00:00Z")
        );
        assert!(time.parse("June").unwrap_err().contains("date-time"));
        let kind = param(json!({"type": "string", "enum": ["A", "B"]}));
        assert_eq!(kind.parse("B").unwrap(), json!("B"));
        assert!(kind.parse("C").unwrap_err().contains("one of: A, B"));
        let id = param(json!({"type": "string", "format": "uuid"}));
        assert!(id.parse("not-a-uuid").is_err());
        let short = param(json!({"type": "string", "maxLength": 3}));
        assert!(short.parse("abcd").unwrap_err().contains("at most 3"));
    }

    #[test]
    fn every_provider_lists_its_size_and_cursor_parameters() {
        for p in Provider::ALL {
            let paging = crate::providers::paging(*p);
            let names: Vec<String> = list_parameters(*p)
                .unwrap()
                .into_iter()
                .map(|p| p.name)
                .collect();
            assert!(names.iter().any(|n| n == paging.size), "{p}: {names:?}");
            assert!(names.iter().any(|n| n == paging.cursor), "{p}: {names:?}");
        }
    }
}
