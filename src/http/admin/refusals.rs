//! The refusals each admin operation may answer, as the OpenAPI document describes them
//! (utoipa's `IntoResponses`), all with the one error body [`ErrorBody`].

use std::collections::BTreeMap;

use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::schema::{ObjectBuilder, SchemaType, Type};
use utoipa::openapi::{ContentBuilder, Ref, RefOr};
use utoipa::IntoResponses;

use super::error::MAX_BODY_BYTES;

#[cfg(doc)]
use super::error::ErrorBody;

/// A refusal's description, with the [`ErrorBody`] it carries.
fn refusal(description: &str) -> ResponseBuilder {
    ResponseBuilder::new().description(description).content(
        "application/json",
        ContentBuilder::new()
            .schema(Some(Ref::from_schema_name("ErrorBody")))
            .build(),
    )
}

fn unauthorized() -> Response {
    let bearer = ObjectBuilder::new()
        .schema_type(SchemaType::Type(Type::String))
        .enum_values(Some(["Bearer"]));
    refusal("Missing or wrong bearer token.")
        .header(
            "WWW-Authenticate",
            HeaderBuilder::new().schema(bearer).build(),
        )
        .build()
}

fn responses(list: Vec<(&str, Response)>) -> BTreeMap<String, RefOr<Response>> {
    list.into_iter()
        .map(|(status, response)| (status.to_string(), response.into()))
        .collect()
}

/// 401 only: the document itself asks nothing of the upstream.
pub(crate) struct Unauthorized;

impl IntoResponses for Unauthorized {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        responses(vec![("401", unauthorized())])
    }
}

/// What any operation that goes upstream may answer besides success.
pub(crate) struct Refusals;

impl IntoResponses for Refusals {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        responses(vec![
            ("401", unauthorized()),
            ("404", refusal("No such admin endpoint.").build()),
            ("409", refusal("`not_real_name_authenticated`: the 911Proxy account is not real-name authenticated (upstream code 156). Or, for a change, delete or batch action, `ambiguous_account`: a username matches several accounts (product types), which 911Proxy would all change; `error.matches` lists them, nothing was sent upstream, and `?all=true` changes them all.").build()),
            ("502", refusal("911Proxy rejected the exporter's app_key (code 3, `upstream_auth_failed`) or refused the change (`upstream_error`, with its message).").build()),
            ("504", refusal("911Proxy did not answer in time; the change may or may not have been applied.").build()),
        ])
    }
}

fn invalid() -> Response {
    refusal("Invalid request: nothing was sent upstream. `error.field` names the field at fault, as a path such as `accounts[1].password`.").build()
}

/// 400, for an operation that takes input in its path only.
pub(crate) struct InputRefusals;

impl IntoResponses for InputRefusals {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        responses(vec![("400", invalid())])
    }
}

/// 400 and 413, for an operation that takes a body.
pub(crate) struct BodyRefusals;

impl IntoResponses for BodyRefusals {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        let too_large = format!(
            "The body is larger than 1 MiB ({MAX_BODY_BYTES} bytes), `payload_too_large`: nothing was sent upstream."
        );
        responses(vec![
            ("400", invalid()),
            ("413", refusal(&too_large).build()),
        ])
    }
}
