//! Reading a request: its parameters (the query string and, for a POST, the fields of its JSON
//! body on top) read into the endpoint's own request type, whose fields are [`Param`]s read the
//! way the upstream reads them: a number may come as text, and text as a number.

use std::collections::HashMap;

use serde::de::{DeserializeOwned, IgnoredAny};
use serde::Deserialize;
use serde_json::{Map, Number, Value};

use crate::state::{Refusal, BAD_PARAMETER};

/// What every endpoint's request type offers the common path of [`super::respond`].
pub trait Request: DeserializeOwned {
    fn app_key(&self) -> &Param;

    /// What tells this request apart from the endpoint's others in the request counts
    /// (`page=N`, `product_type=N`, `isp=N`), or empty.
    fn variant(&self) -> String {
        String::new()
    }
}

/// One parameter as sent, or absent (also when `null`).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Param(Option<Scalar>);

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
enum Scalar {
    Text(String),
    Number(Number),
    Flag(bool),
    /// An array or an object: no parameter of the API is one, so it reads as absent.
    Other(IgnoredAny),
}

impl Param {
    /// The parameter as text (a number as its JSON text, a boolean as `true`/`false`); empty
    /// when absent.
    pub fn text(&self) -> String {
        match &self.0 {
            Some(Scalar::Text(text)) => text.clone(),
            Some(Scalar::Number(number)) => number.to_string(),
            Some(Scalar::Flag(flag)) => flag.to_string(),
            Some(Scalar::Other(_)) | None => String::new(),
        }
    }

    /// The parameter as an integer: an integral number (`3` or `3.0`), text that is an integer
    /// (` 3 `), or a boolean (1 or 0); `None` for anything else.
    pub fn integer(&self) -> Option<i64> {
        match &self.0 {
            Some(Scalar::Text(text)) => text.trim().parse().ok(),
            Some(Scalar::Number(number)) => number.as_i64().or_else(|| {
                number
                    .as_f64()
                    .filter(|f| f.fract() == 0.0 && f.abs() < 9e15)
                    .map(|f| f as i64)
            }),
            Some(Scalar::Flag(flag)) => Some(i64::from(*flag)),
            Some(Scalar::Other(_)) | None => None,
        }
    }
}

/// A request that carries nothing but its app_key (the account list, the daily traffic).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct KeyOnly {
    app_key: Param,
}

impl Request for KeyOnly {
    fn app_key(&self) -> &Param {
        &self.app_key
    }
}

/// A request's parameters, not yet read into the endpoint's request type.
#[derive(Debug)]
pub struct Params(Map<String, Value>);

impl Params {
    /// The query string, with the fields of a POST's JSON body on top (the body wins). A body
    /// that is not a JSON object is refused with code 400.
    pub fn read(query: HashMap<String, String>, post: bool, body: &[u8]) -> Result<Self, Refusal> {
        let mut params: Map<String, Value> = query
            .into_iter()
            .map(|(name, value)| (name, Value::String(value)))
            .collect();
        if post && !body.is_empty() {
            match serde_json::from_slice::<Value>(body) {
                Ok(Value::Object(fields)) => params.extend(fields),
                _ => return Err(BAD_PARAMETER),
            }
        }
        Ok(Params(params))
    }

    /// The parameters as `R`; those `R` does not read are ignored.
    pub fn into_request<R: Request>(self) -> Result<R, Refusal> {
        // Every field of a request type is a `Param`, which reads any JSON value: this cannot
        // fail today, and a request type that could is refused rather than a panic.
        serde_json::from_value(Value::Object(self.0)).map_err(|_| BAD_PARAMETER)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[derive(Debug, Default, Deserialize)]
    #[serde(default)]
    struct Probe {
        app_key: Param,
        n: Param,
    }

    impl Request for Probe {
        fn app_key(&self) -> &Param {
            &self.app_key
        }
    }

    fn probe(query: &[(&str, &str)], body: Value) -> Probe {
        let query = query
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Params::read(query, true, body.to_string().as_bytes())
            .unwrap()
            .into_request()
            .unwrap()
    }

    #[test]
    fn an_integer_reads_from_a_number_an_integral_float_text_or_a_boolean() {
        for (n, expected) in [
            (json!(42), Some(42)),
            (json!(42.0), Some(42)),
            (json!(" 42 "), Some(42)),
            (json!("4.2"), None),
            (json!(true), Some(1)),
            (json!(1e300), None),
            (json!(null), None),
            (json!([1]), None),
        ] {
            assert_eq!(probe(&[], json!({ "n": n })).n.integer(), expected, "{n}");
        }
    }

    #[test]
    fn text_reads_from_text_a_number_or_a_boolean_and_is_empty_otherwise() {
        for (n, expected) in [
            (json!("abc"), "abc"),
            (json!(7), "7"),
            (json!(7.5), "7.5"),
            (json!(false), "false"),
            (json!({"a": 1}), ""),
            (json!(null), ""),
        ] {
            assert_eq!(probe(&[], json!({ "n": n })).n.text(), expected, "{n}");
        }
        assert_eq!(probe(&[], json!({})).n.text(), "");
    }

    #[test]
    fn a_post_body_field_wins_over_the_same_query_parameter() {
        let read = probe(&[("app_key", "q"), ("n", "1")], json!({"n": 2}));

        assert_eq!(
            (read.app_key.text(), read.n.integer()),
            ("q".into(), Some(2))
        );
    }

    #[test]
    fn a_post_body_that_is_not_a_json_object_is_refused() {
        for body in ["[]", "\"text\"", "{not json"] {
            let read = Params::read(HashMap::new(), true, body.as_bytes());

            assert_eq!(read.unwrap_err(), BAD_PARAMETER, "{body}");
        }
    }

    #[test]
    fn a_get_ignores_its_body() {
        let read = Params::read(HashMap::new(), false, b"[]").unwrap();

        assert!(read.into_request::<KeyOnly>().is_ok());
    }
}
