//! The admin API's OpenAPI document, generated from the handlers' `#[utoipa::path]` and the
//! request and answer types: served at `/admin/openapi.json`, and kept in
//! `docs/admin-openapi.json` by the drift test in `tests/admin_api.rs` (`UPDATE_OPENAPI=1`
//! rewrites it).

use std::sync::LazyLock;

use utoipa::openapi::schema::Schema;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::RefOr;
use utoipa::{Modify, OpenApi};

use axum::http::header;
use axum::response::IntoResponse;

use super::error::ErrorBody;
use super::handlers;
use super::refusals::Unauthorized;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "proxy911-exporter admin API",
        version = "1",
        description = "Manage 911Proxy proxy sub-accounts through the exporter. Every request needs `Authorization: Bearer <token>`. Requests are validated before anything goes upstream. Delete, disable and password changes take 911Proxy about 5 minutes to apply; their answers say so in `note`."
    ),
    servers((url = "/admin")),
    paths(
        handlers::list,
        handlers::add,
        handlers::update,
        handlers::delete,
        handlers::batch_action,
        super::alert_actions::route::alertmanager,
        openapi
    ),
    components(schemas(ErrorBody)),
    modifiers(&BearerScheme, &UpdateNeedsAField),
    security(("bearer" = []))
)]
struct AdminApi;

/// The `bearer` security scheme every operation requires.
struct BearerScheme;

impl Modify for BearerScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// `minProperties: 1` on `UpdateRequest`. Set here because utoipa-gen 5.5's
/// `#[schema(min_properties = …)]` writes `maxProperties` instead.
struct UpdateNeedsAField;

impl Modify for UpdateNeedsAField {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let schemas = openapi.components.as_mut().map(|c| &mut c.schemas);
        if let Some(RefOr::T(Schema::Object(update))) =
            schemas.and_then(|s| s.get_mut("UpdateRequest"))
        {
            update.min_properties = Some(1);
        }
    }
}

/// The document as pretty JSON with a final newline, as `docs/admin-openapi.json` holds it.
pub fn openapi_json() -> String {
    let mut json = AdminApi::openapi()
        .to_pretty_json()
        .expect("the OpenAPI document serializes");
    json.push('\n');
    json
}

/// The document, generated once.
fn served() -> &'static str {
    static DOCUMENT: LazyLock<String> = LazyLock::new(openapi_json);
    &DOCUMENT
}

/// This document.
#[utoipa::path(get, path = "/openapi.json", tag = "openapi", operation_id = "openapi",
    responses((status = 200, description = "The OpenAPI document.", body = Object), Unauthorized))]
pub async fn openapi() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], served())
}

#[cfg(test)]
mod tests {
    use super::super::requests::MAX_BATCH;
    use super::*;

    #[test]
    fn every_operation_is_documented_and_needs_the_bearer_token() {
        let document: serde_json::Value = serde_json::from_str(&openapi_json()).unwrap();

        let operations: Vec<&str> = document["paths"]
            .as_object()
            .unwrap()
            .values()
            .flat_map(|item| item.as_object().unwrap().values())
            .filter_map(|operation| operation["operationId"].as_str())
            .collect();

        assert_eq!(operations.len(), 7, "{operations:?}");
        assert_eq!(document["security"], serde_json::json!([{"bearer": []}]));
        assert_eq!(
            document["components"]["securitySchemes"]["bearer"]["scheme"],
            "bearer"
        );
    }

    #[test]
    fn the_documented_limits_are_the_enforced_ones() {
        let document: serde_json::Value = serde_json::from_str(&openapi_json()).unwrap();
        let schemas = &document["components"]["schemas"];

        for request in ["AddRequest", "BatchRequest"] {
            let accounts = &schemas[request]["properties"]["accounts"];
            assert_eq!(accounts["maxItems"], MAX_BATCH, "{request}");
            assert_eq!(accounts["minItems"], 1, "{request}");
        }
        assert_eq!(schemas["UpdateRequest"]["minProperties"], 1);
        assert!(schemas["UpdateRequest"].get("maxProperties").is_none());
        assert_eq!(schemas["UpdateRequest"]["additionalProperties"], false);
    }

    #[test]
    fn every_operation_with_a_body_documents_413_and_only_those() {
        let document: serde_json::Value = serde_json::from_str(&openapi_json()).unwrap();

        for (route, item) in document["paths"].as_object().unwrap() {
            for (verb, operation) in item.as_object().unwrap() {
                let has_body = operation.get("requestBody").is_some();
                let documents_413 = operation["responses"].get("413").is_some();
                assert_eq!(has_body, documents_413, "{verb} {route}");
            }
        }
    }
}
