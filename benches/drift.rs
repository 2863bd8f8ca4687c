//! Spec drift on a large real document: Togai's published OpenAPI document (2 MB, 150+
//! operations, allOf as code generators write it) against itself, with and without its
//! schemas' keys reordered. Prints Markdown rows like the other benchmarks.

mod support;

use std::time::Instant;
use support::Variant;

fn main() {
    let path = concat!(
        env!("PURCHASE_CLIENTS_CHECKOUT"),
        "/specs/published/togai-java-client.openapi.yaml"
    );
    let text = std::fs::read_to_string(path).expect("the published document is checked in");
    let doc = purchase_spec::normalize("togai", &text, None).expect("it normalizes");
    let operations = doc["paths"]
        .as_object()
        .map(|p| {
            p.values()
                .map(|i| i.as_object().map_or(0, |o| o.len()))
                .sum::<usize>()
        })
        .unwrap_or(0);
    assert!(operations > 150, "{operations}");
    // The two documents must not be the same allocation, as in a real comparison.
    let copy = doc.clone();
    assert!(purchase_spec::drift::compare(&doc, &copy)
        .changes
        .is_empty());
    let rounds = support::rounds(15);
    support::compare(
        &format!(
            "drift: togai-java-client against itself ({} kB, {operations} operations)",
            text.len() / 1024
        ),
        &[
            ("compare the normalized documents", "report"),
            ("parse, normalize and compare", "< 1 s"),
        ],
        vec![
            Variant::timed("compare the normalized documents", || {
                let start = Instant::now();
                std::hint::black_box(purchase_spec::drift::compare(&doc, &copy));
                start.elapsed()
            }),
            Variant::timed("parse, normalize and compare", || {
                let start = Instant::now();
                std::hint::black_box(
                    purchase_spec::drift::compare_texts("a", &text, "b", &text).unwrap(),
                );
                start.elapsed()
            }),
        ],
        2,
        rounds,
    );
}
