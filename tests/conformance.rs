//! Static conformance: every documented sample against its schema and generated type,
//! pinned by a snapshot of its typed value.
#![cfg(feature = "conform")]

use purchase_clients::conform::{self, KnownDeviations, Rule, SampleReport};
use purchase_clients::Provider;

fn reports() -> Vec<SampleReport> {
    conform::check_builtin(Provider::ALL).unwrap()
}

fn new_findings(reports: &[SampleReport]) -> Vec<String> {
    reports
        .iter()
        .flat_map(|r| {
            r.new_findings().map(move |f| {
                format!(
                    "{} sample {:?} breaks rule {}: {}",
                    r.file, r.sample, f.rule, f.detail
                )
            })
        })
        .collect()
}

#[test]
fn every_documented_sample_conforms_or_is_a_known_deviation() {
    let reports = reports();
    let new = new_findings(&reports);
    assert!(new.is_empty(), "new deviations:\n{}", new.join("\n"));
    let known = KnownDeviations::builtin();
    let stale = conform::stale_deviations(&known, &reports);
    assert!(
        stale.is_empty(),
        "listed in specs/known-deviations.toml but no longer found: {stale:?}"
    );
}

#[test]
fn the_known_deviations_are_reported_not_hidden() {
    let reports = reports();
    let known: Vec<(String, String, Rule)> = reports
        .iter()
        .flat_map(|r| {
            r.findings
                .iter()
                .filter(|f| f.known.is_some())
                .map(|f| (r.file.clone(), r.sample.clone(), f.rule))
        })
        .collect();
    let expect = |file: &str, sample: &str, rule| (file.to_string(), sample.to_string(), rule);
    assert!(known.contains(&expect("togai.yaml", "get_purchase 200", Rule::Schema)));
    assert!(known.contains(&expect(
        "togai.yaml",
        "list_purchases 200",
        Rule::Placeholder
    )));
    assert!(known.contains(&expect(
        "cocalc.yaml",
        "get_purchases 200",
        Rule::DeprecatedShape
    )));
    let togai = reports
        .iter()
        .find(|r| r.sample == "get_purchase 200")
        .unwrap();
    assert!(!togai.schema_valid && togai.decodes && togai.round_trips);
}

#[test]
fn every_sample_decodes_round_trips_and_is_pinned_by_a_snapshot() {
    let mut settings = insta::Settings::clone_current();
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| {
        for r in reports() {
            assert!(r.decodes && r.round_trips, "{} {}", r.file, r.sample);
            let name = format!(
                "{}__{}",
                r.provider.name(),
                r.sample.replace([' ', '.'], "_")
            );
            insta::assert_json_snapshot!(name, r.typed.as_ref().unwrap());
        }
    });
}

#[test]
fn every_sample_of_the_documentation_pages_is_checked() {
    let names: Vec<(Provider, String)> = reports()
        .into_iter()
        .map(|r| (r.provider, r.sample))
        .collect();
    // The sample payloads printed on the providers' documentation pages.
    for (provider, sample) in [
        (Provider::CoCalc, "get_purchases 200"),
        (Provider::Subtotal, "GetPurchasesResponse.purchases"),
        (Provider::Togai, "get_purchase 200"),
        (Provider::Togai, "list_purchases 200"),
        (Provider::Kit, "list_purchases 200"),
        (Provider::Kit, "list_purchases 401"),
    ] {
        assert!(
            names.contains(&(provider, sample.to_string())),
            "{provider} {sample}"
        );
    }
}

/// Checks a provider's spec after `edit` of its text, as if upstream had changed it.
fn check_edited(provider: Provider, edit: impl Fn(&str) -> String) -> Vec<SampleReport> {
    let (spec, overlay) = conform::builtin_spec(provider);
    let edited = edit(spec);
    assert_ne!(edited, spec, "the edit changed nothing");
    let file = conform::spec_file(provider);
    let documented = purchase_spec::normalize(&file, &edited, None).unwrap();
    let normalized = purchase_spec::normalize(&file, &edited, overlay).unwrap();
    conform::check(
        provider,
        &documented,
        &normalized,
        &KnownDeviations::builtin(),
    )
}

#[test]
fn a_sample_amount_of_the_wrong_type_is_a_new_deviation_naming_sample_and_rule() {
    let reports = check_edited(Provider::Kit, |s| {
        s.replace("total: 81.53", "total: 'eighty'")
    });
    let new = new_findings(&reports);
    assert!(
        new.iter().any(
            |f| f.contains("kit.yaml sample \"list_purchases 200\" breaks rule schema")
                && f.contains("/purchases/2/total")
        ),
        "{new:#?}"
    );
    assert!(
        new.iter().any(|f| f.contains("breaks rule decode")),
        "{new:#?}"
    );
}

#[test]
fn an_undocumented_field_in_a_sample_is_a_new_deviation() {
    let reports = check_edited(Provider::Kit, |s| {
        s.replace(
            "                    total: 11.05\n",
            "                    total: 11.05\n                    refunded: true\n",
        )
    });
    let new = new_findings(&reports);
    assert!(
        new.iter().any(|f| f.contains("breaks rule unknown-field") && f.contains("/purchases/1/refunded")),
        "{new:#?}"
    );
}

#[test]
fn a_sample_without_a_mapped_type_is_a_new_deviation() {
    let reports = check_edited(Provider::Togai, |s| {
        s.replace("          example: ACC00001\n", "          example: ACC00001\n        - name: status\n          in: query\n          schema:\n            type: string\n          example: SUCCESS\n")
    });
    let new = new_findings(&reports);
    assert!(
        new.iter()
            .any(|f| f.contains("\"list_purchases parameter status\" breaks rule unmapped")),
        "{new:#?}"
    );
}

#[test]
fn a_deviation_that_no_longer_occurs_is_reported_stale() {
    let reports = check_edited(Provider::Togai, |s| {
        s.replace(
            "allow_ongoing_cycle_updates: <unknown>",
            "allow_ongoing_cycle_updates: true",
        )
        .replace("<string>", "x")
    });
    let known = KnownDeviations::builtin();
    let stale = conform::stale_deviations(&known, &reports);
    assert_eq!(stale.len(), 1, "{stale:?}");
    assert_eq!(stale[0].rule, Rule::Placeholder);
}
