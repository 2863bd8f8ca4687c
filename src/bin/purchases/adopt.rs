//! `purchases spec update P --overlay FILE`: adopt a proposed overlay.

use crate::drift::{write, UpdateArgs};
use crate::Failure;
use purchase_spec::registry::{with_overlay_line, Registry};
use std::process::ExitCode;

/// Appends the actions of `args.overlay` to the provider's overlay (creating it, and naming
/// it in `providers.toml`, if there is none), checks that the spec still normalizes, and
/// prints the drift report and the change to the generated client's surface.
pub fn adopt(args: &UpdateArgs) -> Result<ExitCode, Failure> {
    let p = args.provider;
    let dir = &args.specs_dir;
    let addition_path = args
        .overlay
        .as_ref()
        .expect("clap requires --from or --overlay");
    let usage = |e: String| Failure::usage(e);
    let registry = Registry::load(dir).map_err(usage)?;
    let entry = registry
        .get(p.name())
        .ok_or_else(|| usage(format!("{p} is not in {}/providers.toml", dir.display())))?;
    let (spec, current) = entry.read(dir).map_err(usage)?;
    let addition = std::fs::read_to_string(addition_path)
        .map_err(|e| usage(format!("cannot read {}: {e}", addition_path.display())))?;
    let merged = match &current {
        Some(current) => purchase_spec::overlay::append_actions(current, &addition),
        None => purchase_spec::overlay::parse_overlay(&addition).map(|_| addition.clone()),
    }
    .map_err(usage)?;
    let before = purchase_spec::normalize(&entry.spec, &spec, current.as_deref())
        .map_err(|e| usage(e.to_string()))?;
    let after = purchase_spec::normalize(&entry.spec, &spec, Some(&merged)).map_err(|e| {
        usage(format!(
            "{e} — the overlay does not apply to {}",
            entry.spec
        ))
    })?;
    let overlay_file = match &entry.overlay {
        Some(f) => {
            write(&dir.join(f), &merged)?;
            f.clone()
        }
        None => {
            let f = format!("overlays/{}.overlay.yaml", entry.module);
            let path = dir.join("providers.toml");
            let text = std::fs::read_to_string(&path)
                .map_err(|e| usage(format!("cannot read {}: {e}", path.display())))?;
            let text = with_overlay_line(&text, &entry.module, &f).map_err(usage)?;
            std::fs::create_dir_all(dir.join("overlays"))
                .map_err(|e| usage(format!("cannot create {}/overlays: {e}", dir.display())))?;
            write(&dir.join(&f), &merged)?;
            write(&path, &text)?;
            outln!("{p} had no overlay: created {f} and named it in providers.toml");
            f
        }
    };
    let added = purchase_spec::overlay::parse_overlay(&addition)
        .map(|o| o.actions.len())
        .unwrap_or(0);
    outln!(
        "adopted {added} actions into {} (the next build regenerates the client)",
        dir.join(&overlay_file).display()
    );
    out!(
        "{}",
        purchase_spec::drift::compare(&before, &after).to_text()
    );
    print_surface_diff(entry, &spec, current.as_deref(), &merged);
    Ok(ExitCode::SUCCESS)
}

/// The change to the generated client's public surface, as a unified diff.
#[cfg(feature = "maintainer")]
fn print_surface_diff(
    entry: &purchase_spec::registry::Entry,
    spec: &str,
    before: Option<&str>,
    after: &str,
) {
    let surfaces = entry
        .surface_with(spec, before)
        .and_then(|b| Ok((b, entry.surface_with(spec, Some(after))?)));
    match surfaces {
        Ok((before, after)) if before == after => {
            outln!("The generated client's surface does not change.")
        }
        Ok((before, after)) => {
            outln!("The generated client's surface:");
            let diff = similar::TextDiff::from_lines(&before, &after);
            out!(
                "{}",
                diff.unified_diff()
                    .context_radius(2)
                    .header("before", "after")
            );
        }
        Err(e) => outln!("The generated client's surface could not be computed: {e}"),
    }
}

#[cfg(not(feature = "maintainer"))]
fn print_surface_diff(_: &purchase_spec::registry::Entry, _: &str, _: Option<&str>, _: &str) {
    outln!(
        "(The change to the generated client's surface is printed by a `purchases` built with the `maintainer` feature.)"
    );
}
