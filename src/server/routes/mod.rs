//! The HTTP API: one module per resource, each handler documented for the OpenAPI document
//! by `#[utoipa::path]`, so the document and the router come from the same declarations.

mod accounts;
mod audit;
mod checkpoint;
mod grants;
mod introspect;
mod meta;
mod metrics;
mod orgs;
pub mod policy;
mod proofs;
mod reports;
mod requests;
mod rules;
mod sessions;
mod sso;
mod tickets;
mod webhooks;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{Method, StatusCode};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{OpenApi, RefOr, Response};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::ApiError;
use super::extract::{BODY_LIMIT, DeclaredQueries, refuse_undeclared_query};
use super::state::AppState;
use crate::api::{PROBLEM_CONTENT_TYPE, Problem};

/// The API's router and its OpenAPI document.
pub fn build(state: AppState) -> (Router, Arc<OpenApi>) {
    let (router, openapi) = api();
    let declared = DeclaredQueries::from_openapi(&openapi);
    let openapi = Arc::new(openapi);
    let router = router
        // Every route, before its handler: a query parameter it does not declare is refused.
        .route_layer(axum::middleware::from_fn_with_state(
            declared,
            refuse_undeclared_query,
        ))
        .fallback(|| async { ApiError::not_found("no such endpoint") })
        .method_not_allowed_fallback(|| async {
            ApiError::invalid("method not allowed on this endpoint")
                .with_status(StatusCode::METHOD_NOT_ALLOWED)
        })
        .layer(axum::Extension(meta::OpenApiJson(
            openapi.to_json().unwrap_or_default().into(),
        )))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(state);
    (router, openapi)
}

pub use metrics::metrics_only;

/// The OpenAPI document that `GET /openapi.json` serves (and `docs/openapi.json` holds).
pub fn openapi() -> OpenApi {
    api().1
}

/// The routes and the document, from the same declarations, before any state is given.
fn api() -> (Router<AppState>, OpenApi) {
    let (router, mut openapi) = OpenApiRouter::<AppState>::new()
        .routes(routes!(meta::healthz))
        .routes(routes!(meta::readyz))
        .routes(routes!(meta::openapi_json))
        .routes(routes!(meta::me))
        .routes(routes!(metrics::metrics))
        .routes(routes!(orgs::create_org, orgs::list_orgs))
        .routes(routes!(orgs::get_org))
        .routes(routes!(orgs::disable_org))
        .routes(routes!(accounts::create_account, accounts::list_accounts))
        .routes(routes!(accounts::disable_account))
        .routes(routes!(accounts::rotate_token))
        .routes(routes!(grants::create_grant, grants::list_org_grants))
        .routes(routes!(grants::get_grant))
        .routes(routes!(grants::extend_grant))
        .routes(routes!(grants::revoke_grant))
        .routes(routes!(grants::bulk_revoke))
        .routes(routes!(grants::acknowledge_grant))
        .routes(routes!(grants::dispute_grant))
        .routes(routes!(grants::list_usable_grants))
        .routes(routes!(sessions::open_session, sessions::list_org_sessions))
        .routes(routes!(sessions::list_sessions))
        .routes(routes!(sessions::get_session))
        .routes(routes!(sessions::close_session))
        .routes(routes!(sessions::current_session))
        .routes(routes!(introspect::introspect))
        .routes(routes!(introspect::authorize))
        .routes(routes!(audit::list_audit))
        .routes(routes!(checkpoint::org_checkpoint))
        .routes(routes!(checkpoint::list_vendor_audit))
        .routes(routes!(checkpoint::vendor_checkpoint))
        .routes(routes!(checkpoint::verifier_key))
        .routes(routes!(proofs::org_inclusion))
        .routes(routes!(reports::grant_report))
        .routes(routes!(reports::request_report))
        .routes(routes!(proofs::org_consistency))
        .routes(routes!(proofs::vendor_inclusion))
        .routes(routes!(proofs::vendor_consistency))
        .routes(routes!(policy::get_policy, policy::put_policy))
        .routes(routes!(policy::get_pending_policy))
        .routes(routes!(policy::approve_pending_policy))
        .routes(routes!(
            requests::create_request,
            requests::list_org_requests
        ))
        .routes(routes!(requests::get_org_request))
        .routes(routes!(requests::approve_request))
        .routes(routes!(requests::deny_request))
        .routes(routes!(requests::confirm_request))
        .routes(routes!(requests::list_own_requests))
        .routes(routes!(requests::get_own_request))
        .routes(routes!(requests::cancel_request))
        .routes(routes!(rules::create_rule, rules::list_rules))
        .routes(routes!(rules::remove_rule))
        .routes(routes!(tickets::close_ticket))
        .routes(routes!(webhooks::create_webhook, webhooks::list_webhooks))
        .routes(routes!(webhooks::get_webhook, webhooks::delete_webhook))
        .routes(routes!(webhooks::rotate_secret))
        .routes(routes!(webhooks::test_webhook))
        .routes(routes!(webhooks::list_deliveries))
        .routes(routes!(webhooks::redeliver))
        .routes(routes!(
            sso::create_vendor_connector,
            sso::list_vendor_connectors
        ))
        .routes(routes!(
            sso::get_vendor_connector,
            sso::delete_vendor_connector
        ))
        .routes(routes!(sso::create_org_connector, sso::list_org_connectors))
        .routes(routes!(sso::get_org_connector, sso::delete_org_connector))
        .routes(routes!(sso::auth_methods))
        .routes(routes!(sso::start_login))
        .routes(routes!(sso::callback))
        .routes(routes!(sso::login_token))
        .split_for_parts();
    describe(&mut openapi);
    (router, openapi)
}

/// Fills in what the per-handler declarations leave out: the document's identity, the bearer
/// and basic schemes, and the problem responses that any operation of a kind can give.
fn describe(openapi: &mut OpenApi) {
    openapi.info.title = "supportctl".into();
    openapi.info.version = env!("CARGO_PKG_VERSION").into();
    openapi.info.description = Some(
        "Support-access admin API: org admins grant the vendor's support team scoped, \
         time-boxed access; support engineers open sessions; the platform introspects and \
         authorizes session tokens; engineers request access and admins approve or deny it \
         under each org's own policy; every change and access is in the org's audit log."
            .into(),
    );
    let components = openapi.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        "bearer",
        SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
    );
    components.add_security_scheme(
        "basic",
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Basic)
                .description(Some(
                    "An account token as the password (the user name is not checked): how \
                     RFC 7662 clients authenticate with `client_secret_basic`.",
                ))
                .build(),
        ),
    );
    let problem = |description: &str| -> RefOr<Response> {
        RefOr::T(
            utoipa::openapi::ResponseBuilder::new()
                .description(description)
                .content(
                    PROBLEM_CONTENT_TYPE,
                    utoipa::openapi::ContentBuilder::new()
                        .schema(Some(RefOr::Ref(utoipa::openapi::Ref::from_schema_name(
                            "Problem",
                        ))))
                        .build(),
                )
                .build(),
        )
    };
    components.schemas.insert(
        "Problem".into(),
        <Problem as utoipa::PartialSchema>::schema(),
    );
    components.headers.insert(
        "RequestId".into(),
        RefOr::T(
            utoipa::openapi::header::HeaderBuilder::new()
                .schema(Some(
                    utoipa::openapi::ObjectBuilder::new()
                        .schema_type(utoipa::openapi::Type::String)
                        .min_length(Some(1))
                        .max_length(Some(128))
                        .pattern(Some("^[!-~]+$")),
                ))
                .description(Some(
                    "The request's id, as in the server's log line for it: the request's own \
                     X-Request-Id when that is 1 to 128 visible ASCII characters without a \
                     token prefix, else a new one.",
                ))
                .build(),
        ),
    );
    let request_id = RefOr::Ref(utoipa::openapi::Ref::new("#/components/headers/RequestId"));
    for (path, item) in openapi.paths.paths.iter_mut() {
        let has_path_params = path.contains('{');
        for (method, operation) in [
            (Method::GET, &mut item.get),
            (Method::POST, &mut item.post),
            (Method::PUT, &mut item.put),
            (Method::DELETE, &mut item.delete),
        ] {
            let Some(operation) = operation else { continue };
            let secured = operation.security.is_some();
            let mut add = |status: &str, description: &str| {
                operation
                    .responses
                    .responses
                    .entry(status.to_owned())
                    .or_insert_with(|| problem(description));
            };
            add("400", "Invalid request: bad parameters or body");
            add(
                "408",
                "The request took longer than the server's request timeout",
            );
            add("500", "Internal error");
            add("503", "The database is unavailable");
            if secured {
                add("401", "Missing, invalid, revoked or disabled token");
                add("403", "The caller's role may not use this endpoint");
                add("429", "Too many failed authentication attempts");
            }
            if has_path_params {
                add("404", "No such resource, or not visible to the caller");
            }
            let pages = operation.parameters.as_ref().is_some_and(|params| {
                params
                    .iter()
                    .any(|p| matches!(p, utoipa::openapi::RefOr::T(p) if p.name == "cursor"))
            });
            if pages {
                add("422", "A cursor this server did not issue");
            }
            if method == Method::POST || method == Method::PUT {
                add(
                    "413",
                    "Request body over 64 KiB (512 KiB for a bulk revoke)",
                );
                add("415", "Request body is not JSON");
                add(
                    "422",
                    "Well-formed, but not possible as asked, or refused by policy",
                );
            }
            for response in operation.responses.responses.values_mut() {
                if let RefOr::T(response) = response {
                    response
                        .headers
                        .insert("X-Request-Id".into(), request_id.clone());
                }
            }
        }
    }
}
