//! Where this check and oasdiff differ on purpose, measured against oasdiff's own test
//! suite (its `checker/*_test.go` spec pairs, vendored in this crate's tests): the levels
//! that differ from oasdiff's defaults for the same id, and the cases where the ids
//! differ. A test keeps both tables true (every difference listed, every listed one real);
//! `purchases drift --rules` renders them.

use super::Level;
use Level::{Breaking as B, Info as I, Warning as W};

/// A rule whose level differs from oasdiff's default for the same id.
#[derive(Debug, Clone, Copy)]
pub struct LevelDifference {
    /// The rule id (oasdiff's too).
    pub id: &'static str,
    /// oasdiff's default level for it.
    pub oasdiff: Level,
    /// Why ours differs.
    pub why: &'static str,
}

const fn level(id: &'static str, oasdiff: Level, why: &'static str) -> LevelDifference {
    LevelDifference { id, oasdiff, why }
}

/// Every rule whose level differs from oasdiff's default.
#[rustfmt::skip]
pub const LEVELS: &[LevelDifference] = &[
    level("webhook-removed", B, "a webhook is a request the API sends: a client of the API calls nothing that changed (oasdiff weighs it for the receivers)"),
    level("api-path-removed-with-deprecation", I, "calls to it fail: announced or not, a client still calling it breaks, so it is at least a warning"),
    level("api-removed-with-deprecation", I, "calls to it fail: announced or not, a client still calling it breaks, so it is at least a warning"),
    level("api-sunset-date-changed-too-small", B, "nothing fails yet: the operation will go away earlier than announced, a warning to act on"),
    level("endpoint-deprecated", I, "a deprecation is a notice to act on before calls fail"),
    level("endpoint-deprecated-with-sunset", I, "a deprecation is a notice to act on before calls fail"),
    level("request-parameter-deprecated", I, "a deprecation is a notice to act on before calls fail"),
    level("request-property-deprecated", I, "a deprecation is a notice to act on before calls fail"),
    level("response-property-deprecated", I, "a deprecation is a notice to act on before calls fail"),
    level("request-property-deprecated-with-sunset", I, "a deprecation is a notice to act on before calls fail"),
    level("response-property-deprecated-with-sunset", I, "a deprecation is a notice to act on before calls fail"),
    level("request-parameter-default-value-added", B, "every call stays valid; only calls that omit the parameter may get another result"),
    level("request-parameter-default-value-removed", B, "every call stays valid; only calls that omit the parameter may get another result"),
    level("request-parameter-default-value-changed", B, "every call stays valid; only calls that omit the parameter get another result"),
    level("api-security-removed", I, "clients that authenticate only that way are refused"),
    level("api-security-scope-added", I, "tokens without the new scope are refused"),
    level("api-security-component-type-changed", I, "clients send credentials of the old kind and are refused"),
    level("api-security-component-oauth-scope-removed", I, "tokens asked with the removed scope may be refused"),
    level("response-body-any-of-added", I, "an answer of the new alternative does not decode into the generated union"),
    level("response-property-any-of-added", I, "an answer of the new alternative does not decode into the generated union"),
    level("response-property-enum-value-added", W, "the generated response enums are open: a new value decodes and keeps its text"),
    level("response-property-pattern-changed", I, "the generated string types check their pattern when they decode: an answer the old pattern refuses fails to decode"),
    level("response-property-pattern-removed", I, "the generated string types check their pattern when they decode: an answer the old pattern refuses fails to decode"),
    level("sunset-deleted", B, "nothing fails: the operation no longer says when it goes away"),
    level("api-path-sunset-parse", B, "the spec's date is wrong: nothing on the wire changes"),
    level("api-invalid-stability-level", B, "the spec's x-stability-level is wrong: nothing on the wire changes"),
    level("api-stability-decreased", B, "nothing fails yet: the operation is declared less stable"),
    level("request-parameter-sunset-deleted", B, "nothing fails: the parameter no longer says when it goes away"),
    level("request-parameter-sunset-parse", B, "the spec's date is wrong: nothing on the wire changes"),
    level("request-property-deprecated-sunset-invalid", B, "a deprecation with a wrong date: nothing fails yet"),
    level("response-property-deprecated-sunset-invalid", B, "a deprecation with a wrong date: nothing fails yet"),
    level("request-property-stability-decreased", B, "nothing fails yet: the property is declared less stable"),
    level("response-property-stability-decreased", B, "nothing fails yet: the property is declared less stable"),
    level("request-parameter-property-type-changed", W, "values clients send in the parameter's object no longer fit, as for the parameter itself"),
];

/// A case of oasdiff's test suite where this check reports other ids, on purpose.
#[derive(Debug, Clone, Copy)]
pub struct CaseDifference {
    /// The oasdiff test (its Go function).
    pub case: &'static str,
    /// The id the test expects that we do not report; empty when the difference is an id
    /// we report that the test says is absent, or a breaking change where it expects none.
    pub expects: &'static str,
    /// What we report instead (or besides).
    pub reports: &'static str,
    /// Why.
    pub why: &'static str,
}

const fn case(
    case: &'static str,
    expects: &'static str,
    reports: &'static str,
    why: &'static str,
) -> CaseDifference {
    CaseDifference {
        case,
        expects,
        reports,
        why,
    }
}

/// Every case of oasdiff's test suite where the ids differ.
#[rustfmt::skip]
pub const CASES: &[CaseDifference] = &[
    case("TestAPISecurityAdded", "api-security-added", "api-security-now-required", "an operation that needed no credentials now needs them: every call a client makes without them is refused (breaking), not another way to authenticate"),
    case("TestBreaking_ReqParameterHeaderPropertyBecameEnum", "request-header-property-became-enum", "request-parameter-became-enum", "a property in a header parameter's object schema is named like any parameter's (oasdiff names this one change apart for headers)"),
    case("TestBreaking_ReqQueryParamTypeStringToNumber", "request-parameter-property-type-specialized", "request-parameter-property-type-changed", "string to number is a change of type, as in a body: a client's string values no longer fit (the level is the same)"),
    case("TestRequestBodyTypeLooselyTypedCompatible", "request-body-type-compatible", "request-body-type-changed", "in an XML body oasdiff calls object to string compatible (the text may still parse); the generated clients build a typed value, and the type changed"),
    case("TestResponseBodyTypeLooselyTypedCompatible", "response-body-type-compatible", "response-body-type-changed", "in an XML body oasdiff calls object to string compatible (the text may still parse); the generated clients decode a typed value, and the type changed"),
    case("TestTransitionClaims_RealChangeAlongsideTransitionStillReported", "request-property-list-of-types-widened", "request-property-type-generalized", "an enum of strings becoming a oneOf of string and integer accepts every value it did and more: one generalization, not a list of types widened plus enum values removed"),
    case("TestTransitionClaims_RealChangeAlongsideTransitionStillReported", "request-property-enum-value-removed", "request-property-type-generalized", "an enum of strings becoming a oneOf of string and integer accepts every value it did and more: no value a client sends is refused"),
    case("TestBreaking_DeletePatten", "", "response-property-pattern-removed", "the generated string types check their pattern when they decode: an answer the old pattern refused would fail a client built from the old spec"),
    case("TestBreaking_GeneralizedPattern", "", "response-property-pattern-changed", "the generated string types check their pattern when they decode: an answer the old pattern refuses fails a client built from the old spec, however much more the new one allows"),
    case("TestBreaking_ModifyPatternToAnyString", "", "response-property-pattern-changed", "the generated string types check their pattern when they decode: an answer the old pattern refuses fails a client built from the old spec"),
    case("TestBreaking_RequestParameterMaxItemsWithoutFlatten", "", "request-parameter-max-items-decreased", "a parameter written on the path applies to each of its operations and is compared there (what oasdiff does with --flatten-params): calls sending more items are refused"),
    case("TestBreaking_RequiredPropertyWriteOnlyEnabled", "", "response-property-became-optional", "a required response property that becomes writeOnly is no longer in answers: a client built from the old spec expects it and fails to decode"),
    case("TestBreaking_ReqBodyNewRequiredPropertyNew", "", "new-required-request-property", "a name added to `required` with no property schema must still be sent: bodies without it are refused"),
    case("TestRequestPropertyStability_BelowThresholdEndpoint_NotReported", "", "request-property-stability-decreased", "a property's declared stability is reported whatever the operation's (a warning when lowered: nothing fails yet); oasdiff leaves changes under a draft operation out"),
    case("TestRequestPropertyStability_BetaLevel_DraftToStableNotDetected", "", "request-property-stability-increased", "a property declared more stable is reported (info); oasdiff leaves draft elements out"),
    case("TestResponsePropertyStability_BetaLevel_DraftToStableNotDetected", "", "response-property-stability-increased", "a property declared more stable is reported (info); oasdiff leaves draft elements out"),
    case("TestNullableWrapping_NarrowedEnumStillReported", "", "request-property-became-nullable", "the property may now be null: the generated field's type becomes an Option (info, a crate change), which oasdiff does not report"),
];
