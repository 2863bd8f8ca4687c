//! The representation limits the README's table states, each pinned: what a value beyond
//! them does, and the regression bodies of the generated-body test's families (numbers in
//! free-form values, numbers beyond `f64`, respelled date-times and uuids).
#![cfg(all(feature = "conform", feature = "mock"))]

mod common;

use futures::TryStreamExt;
use purchase_clients::conform::replay::{compare_decoded, replay, BuiltinSpecs};
use purchase_clients::conform::{self, Rule};
use purchase_clients::lossless::Json;
use purchase_clients::mock::{demo_credentials, list_route};
use purchase_clients::recording::Reply;
use purchase_clients::{AnyClient, Error, Provider, Purchase, Secret};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// A Kit page of one purchase with `total` and `transaction_time` as given (raw JSON), and
/// `per_page` as given.
fn kit_page(total: &str, time: &str, per_page: &str) -> String {
    format!(
        r#"{{"purchases":[{{"id":7,"transaction_id":"t-7","subscriber_id":3,"status":"paid","email_address":"a@b.c","currency":"USD","transaction_time":"{time}","subtotal":1,"discount":0,"tax":0,"total":{total},"products":[]}}],"pagination":{{"has_previous_page":false,"has_next_page":false,"start_cursor":null,"end_cursor":null,"per_page":{per_page}}}}}"#
    )
}

/// Lists Kit from a server answering `body` to every list request.
async fn list_kit(body: String) -> Result<Vec<Purchase>, Error> {
    let server = MockServer::start().await;
    let (verb, route) = list_route(Provider::Kit);
    Mock::given(method(verb.as_str()))
        .and(path(route))
        .respond_with(ResponseTemplate::new(200).set_body_raw(body, "application/json"))
        .mount(&server)
        .await;
    let secrets: Vec<Secret> = demo_credentials(Provider::Kit)
        .iter()
        .map(|c| Secret::new(*c))
        .collect();
    AnyClient::with_credentials(Provider::Kit, &secrets, None, common::options(&server, ""))
        .unwrap()
        .purchases(None)
        .try_collect()
        .await
}

#[tokio::test]
async fn an_amount_of_28_significant_digits_is_exact_and_one_beyond_fails_naming_record_field_and_text(
) {
    let listed = list_kit(kit_page(
        "1234567890.123456789012345678",
        "2024-01-01T00:00:00Z",
        "100",
    ))
    .await
    .unwrap();
    assert_eq!(
        listed[0].total.unwrap().to_string(),
        "1234567890.123456789012345678"
    );

    for total in [
        "0.00000000000000000000000000001", // a scale of 29
        "-1.17e+37",                       // within `float`, beyond Decimal
        "99999999999999999999.999999999",  // 29 significant digits, beyond 2^96
    ] {
        let err = list_kit(kit_page(total, "2024-01-01T00:00:00Z", "100"))
            .await
            .unwrap_err();
        let Error::Decode { reason, .. } = &err else {
            panic!("{total}: {err:?}")
        };
        let shown = err.to_string();
        assert!(shown.starts_with("kit"), "{shown}");
        for part in ["purchases[0].total", "record 1 of the page", "id 7", total] {
            assert!(reason.contains(part), "{total}: {part:?} not in {reason}");
        }
    }
}

#[tokio::test]
async fn an_integer_beyond_64_bits_fails_the_page_naming_its_field() {
    let err = list_kit(kit_page(
        "1",
        "2024-01-01T00:00:00Z",
        "99999999999999999999",
    ))
    .await
    .unwrap_err();
    let Error::Decode { reason, .. } = &err else {
        panic!("{err:?}")
    };
    assert!(reason.contains("pagination.per_page"), "{reason}");
}

#[tokio::test]
async fn a_time_is_an_instant_in_utc_to_the_nanosecond() {
    let listed = list_kit(kit_page("1", "2024-01-01t05:30:00.1234567899+05:30", "100"))
        .await
        .unwrap();
    let time = listed[0].time.unwrap();
    assert_eq!(
        time.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
        "2024-01-01T00:00:00.123456789Z"
    );
}

/// Writes `body` as a recorded reply of `provider`'s `operation` into a fresh folder and
/// replays it: the findings' rules and details.
fn replayed(provider: Provider, operation: &str, body: &str) -> Vec<(Rule, String)> {
    let dir = tempfile::tempdir().unwrap();
    let (verb, route) = list_route(provider);
    let reply = Reply {
        provider: provider.name().into(),
        operation: operation.into(),
        method: verb,
        path: route,
        query: Vec::new(),
        status: 200,
        headers: vec![("content-type".into(), "application/json".into())],
        redacted: 0,
        body: body.as_bytes().to_vec(),
    };
    std::fs::write(dir.path().join("0001.reply"), reply.to_bytes()).unwrap();
    let report = replay(dir.path(), &BuiltinSpecs).unwrap();
    report
        .reports
        .iter()
        .flat_map(|r| r.findings.iter().map(|f| (f.rule, f.detail.clone())))
        .collect()
}

#[test]
fn the_replay_reads_every_number_the_grammar_allows() {
    // An integer beyond 64 bits where the spec says `integer` without bounds: no
    // `fraction` finding (it has none), and no schema error; the type's limit is a decode
    // finding naming the field.
    let findings = replayed(
        Provider::Kit,
        "list_purchases",
        &kit_page("1", "2024-01-01T00:00:00Z", "99999999999999999999"),
    );
    assert!(
        !findings.iter().any(|(r, _)| *r == Rule::Fraction),
        "{findings:?}"
    );
    assert!(
        !findings.iter().any(|(r, _)| *r == Rule::Schema),
        "{findings:?}"
    );
    assert!(
        findings
            .iter()
            .any(|(r, d)| *r == Rule::Decode && d.contains("per_page")),
        "{findings:?}"
    );
    // A number beyond f64's range is a number to the schema step, never `null`.
    let findings = replayed(
        Provider::Kit,
        "list_purchases",
        &kit_page("1.0E+311", "2024-01-01T00:00:00Z", "100"),
    );
    assert!(
        !findings.iter().any(|(_, d)| d.contains("null")),
        "{findings:?}"
    );
}

/// Decodes `text` as `provider`'s reply to `operation` and compares what the type wrote
/// back: the values reported as changed.
fn round_trip(provider: Provider, operation: &str, text: &str) -> Vec<String> {
    let doc = conform::normalized(provider).unwrap();
    let decode = conform::reply_decoder(provider, &doc, operation, 200).unwrap();
    let back = decode(text).unwrap();
    compare_decoded(text, &back).unwrap().0
}

#[test]
fn numbers_in_free_form_values_keep_every_digit() {
    // CoCalc's purchase `description` (its documented sample carries `quota.cost`).
    let text = r#"[{"id":1,"time":"2024-01-01T00:00:00Z","service":"license","description":{"type":"license","quota":{"cost":111111101111.18111,"ratio":0.8484449789141913,"big":-530869582245864029411669005412,"far":1.0E+311}}}]"#;
    assert_eq!(
        round_trip(Provider::CoCalc, "get_purchases", text),
        Vec::<String>::new()
    );
    let purchases = conform::page_purchases(Provider::CoCalc, text).unwrap();
    let purchase_clients::Record::CoCalc(record) = &purchases[0].record else {
        panic!("a CoCalc record")
    };
    // What a program holding the record writes: every digit as received.
    let record = serde_json::to_string(record).unwrap();
    for digits in [
        "111111101111.18111",
        "0.8484449789141913",
        "-530869582245864029411669005412",
        "1.0E+311",
    ] {
        assert!(record.contains(digits), "{digits} not in {record}");
    }
}

#[test]
fn a_respelled_time_or_uuid_is_the_same_value_and_a_lost_digit_is_reported() {
    let page = |time: &str, project: &str| {
        format!(r#"[{{"id":1,"time":"{time}","service":"license","project_id":"{project}"}}]"#)
    };
    let uuid = "964DA08A-B57E-971E-76D2-EF9701FAFDCD";
    for time in [
        "2024-01-01T00:00:00+00:00",
        "2024-01-01t00:00:00z",
        "2024-01-01T00:00:00.5Z",
        "2016-12-31T23:59:60.5Z",
        "2024-01-01T05:30:00.123456789+05:30",
        "2024-01-01T00:00:00.1234567890Z",
    ] {
        assert_eq!(
            round_trip(Provider::CoCalc, "get_purchases", &page(time, uuid)),
            Vec::<String>::new(),
            "{time}"
        );
    }
    let changed = round_trip(
        Provider::CoCalc,
        "get_purchases",
        &page("2024-01-01T00:00:00.1234567891Z", uuid),
    );
    assert_eq!(changed.len(), 1, "{changed:?}");
    assert!(
        changed[0].contains("/0/time") && changed[0].contains("beyond the nanosecond"),
        "{changed:?}"
    );
    // Another instant, or another uuid, is a change.
    let json = |t: &str| Json::String(t.into());
    let changed = compare_decoded(
        r#"{"a":"2024-01-01T00:00:00Z","b":"964da08a-b57e-971e-76d2-ef9701fafdcd"}"#,
        &Json::Object(vec![
            ("a".into(), json("2024-01-01T00:00:01Z")),
            ("b".into(), json("964da08a-b57e-971e-76d2-ef9701fafdce")),
        ]),
    )
    .unwrap()
    .0;
    assert_eq!(changed.len(), 2, "{changed:?}");
}
