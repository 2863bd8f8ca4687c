//! `purchases list --output FILE`: a listing written to a file exactly once, resumable
//! after any interruption, with a manifest that proves what it holds; and `purchases
//! verify`, which checks a file against its manifest.
//!
//! Beside `FILE` an export keeps `FILE.checkpoint.json` (where the listing continues: the
//! scope, the cursor, the file's length at that point and the counts) and `FILE.pages` (the
//! file's length after each page). After each page the records are appended to `FILE`, the
//! page's end to `FILE.pages`, both synced, and only then the checkpoint replaced
//! atomically (written aside, synced, renamed). A run killed at any instant leaves a
//! checkpoint that names a length `FILE` has reached; `--resume` cuts `FILE` back to it and
//! continues from its cursor, so the bytes written end up exactly those of an uninterrupted
//! run.

use crate::output::{header_bytes, page_bytes, Format};
use crate::Failure;
use purchase_clients::paginate::{Cursor, Page};
use purchase_clients::redact::Redactor;
use purchase_clients::Purchase;
use serde::{Deserialize, Serialize};
use sha2::Digest;
use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, Read, Seek, Write};
use std::path::{Path, PathBuf};

/// What a listing was asked for: a resume must ask for the same.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Arguments {
    /// The provider.
    pub provider: String,
    /// The base URL.
    pub base_url: String,
    /// The `--param`s, by name (values as given).
    pub parameters: BTreeMap<String, String>,
    /// The output format.
    pub format: String,
    /// The `--account`s, in order.
    pub accounts: Vec<String>,
    /// The `--accounts` file, if any.
    pub accounts_file: Option<String>,
}

impl Arguments {
    /// Why a resume with `self` is refused for a checkpoint made with `saved`, if it is.
    fn differs_from(&self, saved: &Arguments) -> Option<String> {
        let differ = |what: &str, was: String, now: String| {
            Some(format!(
                "--resume: the export was started with {what} {was}, not {now}; rerun with the same arguments, or start a new export without --resume"
            ))
        };
        if self.provider != saved.provider {
            return differ("provider", saved.provider.clone(), self.provider.clone());
        }
        if self.base_url != saved.base_url {
            return differ("base URL", saved.base_url.clone(), self.base_url.clone());
        }
        let params = |p: &BTreeMap<String, String>| {
            if p.is_empty() {
                "no --param".to_string()
            } else {
                p.iter()
                    .map(|(k, v)| format!("--param {k}={v}"))
                    .collect::<Vec<_>>()
                    .join(" ")
            }
        };
        if self.parameters != saved.parameters {
            return differ(
                "parameters",
                params(&saved.parameters),
                params(&self.parameters),
            );
        }
        if self.format != saved.format {
            return differ("format", saved.format.clone(), self.format.clone());
        }
        if self.accounts != saved.accounts || self.accounts_file != saved.accounts_file {
            let accounts = |a: &Arguments| {
                let mut out: Vec<String> = a
                    .accounts
                    .iter()
                    .map(|x| format!("--account {x}"))
                    .collect();
                out.extend(a.accounts_file.iter().map(|f| format!("--accounts {f}")));
                if out.is_empty() {
                    "no account".into()
                } else {
                    out.join(" ")
                }
            };
            return differ("accounts", accounts(saved), accounts(self));
        }
        None
    }
}

/// Where an export stands, as saved after each page.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Checkpoint {
    version: u32,
    arguments: Arguments,
    started: String,
    resumed: u32,
    /// Scopes listed to their end before the current one.
    scope_index: usize,
    /// Where the current scope continues (`None`: at its start).
    cursor: Option<Cursor>,
    bytes: u64,
    records: u64,
    pages: u64,
    first_id: Option<String>,
    last_id: Option<String>,
    complete: bool,
}

/// An id seen on more than one page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Duplicate {
    /// The id, as written.
    pub id: String,
    /// The pages it was on (numbered from 1).
    pub pages: Vec<u64>,
}

/// What an export holds, and whether the API said it was all.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    /// What was listed.
    #[serde(flatten)]
    pub arguments: Arguments,
    /// When the export started and finished (RFC 3339).
    pub started: String,
    /// When it finished.
    pub finished: String,
    /// How many times it was resumed.
    pub resumed: u32,
    /// Pages fetched.
    pub pages: u64,
    /// Records written.
    pub records: u64,
    /// The output's length in bytes.
    pub bytes: u64,
    /// The SHA-256 of the output's bytes.
    pub sha256: String,
    /// The first record's id.
    pub first_id: Option<String>,
    /// The last record's id.
    pub last_id: Option<String>,
    /// Ids written more than once, with their pages.
    pub duplicates: Vec<Duplicate>,
    /// Whether the API said there was no more.
    pub complete: bool,
    /// What stopped an incomplete export (a bound or an error).
    pub stopped: Option<String>,
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn io_failure(what: &Path, e: std::io::Error) -> Failure {
    Failure::usage(format!("{}: {e}", what.display()))
}

/// The files beside an export's output.
fn beside(output: &Path, suffix: &str) -> PathBuf {
    let mut name = output.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// A 64-bit digest of an id (duplicates are found among these: 8 bytes a record).
fn digest(id: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::hash::DefaultHasher::new();
    id.hash(&mut h);
    h.finish()
}

/// Where the records go.
enum Target {
    File { file: std::fs::File, path: PathBuf },
    Stdout(std::io::Stdout),
}

/// An export in progress.
pub struct Export {
    target: Target,
    pages_log: Option<std::fs::File>,
    checkpoint_path: Option<PathBuf>,
    manifest_path: PathBuf,
    format: Format,
    redactor: Redactor,
    hasher: sha2::Sha256,
    state: Checkpoint,
    seen: HashMap<u64, u64>,
    duplicates: BTreeMap<String, Vec<u64>>,
}

impl Export {
    /// Starts (or, with `resume`, continues) an export of the listing `arguments` describes,
    /// to `output` (or standard output), its manifest at `manifest` (or beside `output`).
    pub fn open(
        output: Option<&Path>,
        resume: bool,
        manifest: Option<&Path>,
        format: Format,
        arguments: Arguments,
        redactor: Redactor,
    ) -> Result<Export, Failure> {
        let manifest_path = match (manifest, output) {
            (Some(m), _) => m.to_path_buf(),
            (None, Some(o)) => beside(o, ".manifest.json"),
            (None, None) => return Err(Failure::usage("an export needs --output or --manifest")),
        };
        let fresh = Checkpoint {
            version: 1,
            arguments,
            started: now(),
            resumed: 0,
            scope_index: 0,
            cursor: None,
            bytes: 0,
            records: 0,
            pages: 0,
            first_id: None,
            last_id: None,
            complete: false,
        };
        let mut export = Export {
            target: Target::Stdout(std::io::stdout()),
            pages_log: None,
            checkpoint_path: None,
            manifest_path,
            format,
            redactor,
            hasher: sha2::Sha256::new(),
            state: fresh,
            seen: HashMap::new(),
            duplicates: BTreeMap::new(),
        };
        let Some(output) = output else {
            export.write(&header_bytes(format).map_err(|e| io_failure(Path::new("-"), e))?)?;
            return Ok(export);
        };
        let checkpoint_path = beside(output, ".checkpoint.json");
        let pages_path = beside(output, ".pages");
        let saved = match std::fs::read(&checkpoint_path) {
            Ok(bytes) if resume => {
                Some(serde_json::from_slice::<Checkpoint>(&bytes).map_err(|e| {
                    Failure::usage(format!(
                        "{}: not a checkpoint: {e}",
                        checkpoint_path.display()
                    ))
                })?)
            }
            Err(_) if resume && output.exists() => {
                return Err(Failure::usage(format!(
                "--resume: {} has no checkpoint beside it ({}): it was not written by an export",
                output.display(),
                checkpoint_path.display()
            )))
            }
            _ => None,
        };
        let open = |path: &Path, truncate: bool| {
            std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(truncate)
                .open(path)
                .map_err(|e| io_failure(path, e))
        };
        match saved {
            None => {
                // The pages log, then the checkpoint, then the output: a run killed at any
                // point between them leaves a checkpoint wherever there is an output to
                // resume, and a pages log wherever there is a checkpoint.
                export.pages_log = Some(open(&pages_path, true)?);
                export.checkpoint_path = Some(checkpoint_path);
                export.save()?;
                export.target = Target::File {
                    file: open(output, true)?,
                    path: output.to_path_buf(),
                };
                export.write(&header_bytes(format).map_err(|e| io_failure(output, e))?)?;
                export.save()?;
            }
            Some(saved) => {
                if let Some(why) = export.state.arguments.differs_from(&saved.arguments) {
                    return Err(Failure::usage(why));
                }
                let mut file = open(output, false)?;
                let length = file.metadata().map_err(|e| io_failure(output, e))?.len();
                if length < saved.bytes {
                    return Err(Failure::usage(format!(
                        "--resume: {} is shorter ({length} bytes) than its checkpoint says it was ({} bytes): it was changed since",
                        output.display(),
                        saved.bytes
                    )));
                }
                file.set_len(saved.bytes)
                    .map_err(|e| io_failure(output, e))?;
                file.seek(std::io::SeekFrom::End(0))
                    .map_err(|e| io_failure(output, e))?;
                let ends = page_ends(&pages_path, saved.pages)?;
                export.state = Checkpoint {
                    resumed: saved.resumed + u32::from(!saved.complete),
                    ..saved
                };
                export.reread(&mut file, output, &ends)?;
                let mut pages_log = open(&pages_path, false)?;
                let kept: u64 = ends.iter().map(|e| e.to_string().len() as u64 + 1).sum();
                pages_log
                    .set_len(kept)
                    .map_err(|e| io_failure(&pages_path, e))?;
                pages_log
                    .seek(std::io::SeekFrom::End(0))
                    .map_err(|e| io_failure(&pages_path, e))?;
                export.target = Target::File {
                    file,
                    path: output.to_path_buf(),
                };
                export.pages_log = Some(pages_log);
                export.checkpoint_path = Some(checkpoint_path);
                if export.state.bytes == 0 {
                    // Stopped before its header was checkpointed: start the file again.
                    export.write(&header_bytes(format).map_err(|e| io_failure(output, e))?)?;
                }
                // The resume is counted even if this run is stopped before its first page.
                export.save()?;
            }
        }
        Ok(export)
    }

    /// Whether the export was already complete (a resume has nothing to do).
    pub fn complete(&self) -> bool {
        self.state.complete
    }

    /// Where the listing continues: scopes to skip, and the cursor in the next one.
    pub fn resume_point(&self) -> (usize, Option<Cursor>) {
        (self.state.scope_index, self.state.cursor.clone())
    }

    /// Reads the output's first `bytes` (already cut to them) back: its hash so far, and the
    /// ids of its records, each on its page.
    fn reread(
        &mut self,
        file: &mut std::fs::File,
        path: &Path,
        ends: &[u64],
    ) -> Result<(), Failure> {
        file.seek(std::io::SeekFrom::Start(0))
            .map_err(|e| io_failure(path, e))?;
        let mut prefix = Vec::new();
        Read::by_ref(file)
            .take(self.state.bytes)
            .read_to_end(&mut prefix)
            .map_err(|e| io_failure(path, e))?;
        file.seek(std::io::SeekFrom::End(0))
            .map_err(|e| io_failure(path, e))?;
        self.hasher.update(&prefix);
        for (offset, id) in record_ids(self.format, &prefix)? {
            let page = ends
                .iter()
                .position(|end| offset < *end)
                .unwrap_or(ends.len()) as u64
                + 1;
            self.note_id(&id, page);
        }
        Ok(())
    }

    fn note_id(&mut self, id: &str, page: u64) {
        if let Some(first) = self.seen.insert(digest(id), page) {
            let pages = self
                .duplicates
                .entry(id.to_string())
                .or_insert_with(|| vec![first]);
            pages.push(page);
        }
    }

    fn write(&mut self, bytes: &[u8]) -> Result<(), Failure> {
        self.hasher.update(bytes);
        self.state.bytes += bytes.len() as u64;
        match &mut self.target {
            Target::File { file, path } => file.write_all(bytes).map_err(|e| io_failure(path, e)),
            Target::Stdout(out) => out.lock().write_all(bytes).map_err(Failure::from),
        }
    }

    /// Writes one page's records and then, once they are safely in the file, the
    /// checkpoint past them (a page with no next cursor ends its scope). The ids are read
    /// back from the bytes written, so that the manifest describes what `verify` reads.
    pub fn write_page(&mut self, page: &Page<Purchase>) -> Result<(), Failure> {
        let bytes = page_bytes(self.format, &page.items, &self.redactor).map_err(Failure::from)?;
        self.write(&bytes)?;
        self.state.pages += 1;
        self.state.records += page.items.len() as u64;
        let written: Vec<String> = record_ids(self.format, &bytes)?
            .into_iter()
            .map(|(_, id)| id)
            .collect();
        for id in &written {
            self.note_id(id, self.state.pages);
        }
        if self.state.first_id.is_none() {
            self.state.first_id = written.first().cloned();
        }
        if let Some(last) = written.last() {
            self.state.last_id = Some(last.clone());
        }
        match &page.next {
            Some(cursor) => self.state.cursor = Some(cursor.clone()),
            None => {
                self.state.scope_index += 1;
                self.state.cursor = None;
            }
        }
        if let (Target::File { file, path }, Some(log)) = (&mut self.target, &mut self.pages_log) {
            writeln!(log, "{}", self.state.bytes).map_err(|e| io_failure(path, e))?;
            file.sync_data().map_err(|e| io_failure(path, e))?;
            log.sync_data().map_err(|e| io_failure(path, e))?;
        }
        self.save()
    }

    /// Replaces the checkpoint atomically: written aside, synced, renamed over it.
    fn save(&self) -> Result<(), Failure> {
        let Some(path) = &self.checkpoint_path else {
            return Ok(());
        };
        let aside = beside(path, ".tmp");
        let text =
            serde_json::to_vec_pretty(&self.state).map_err(|e| Failure::usage(e.to_string()))?;
        let mut f = std::fs::File::create(&aside).map_err(|e| io_failure(&aside, e))?;
        f.write_all(&text).map_err(|e| io_failure(&aside, e))?;
        f.sync_all().map_err(|e| io_failure(&aside, e))?;
        std::fs::rename(&aside, path).map_err(|e| io_failure(path, e))?;
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            if let Ok(d) = std::fs::File::open(dir) {
                let _ = d.sync_all();
            }
        }
        Ok(())
    }

    /// Ends the export: `stopped` is what ended it early, if anything. Writes the manifest
    /// (and, when complete, marks the checkpoint so).
    pub fn finish(mut self, stopped: Option<String>) -> Result<(), Failure> {
        if let Target::Stdout(out) = &mut self.target {
            out.lock().flush().map_err(Failure::from)?;
        }
        if stopped.is_none() {
            self.state.complete = true;
            self.save()?;
        }
        let manifest = Manifest {
            arguments: self.state.arguments.clone(),
            started: self.state.started.clone(),
            finished: now(),
            resumed: self.state.resumed,
            pages: self.state.pages,
            records: self.state.records,
            bytes: self.state.bytes,
            sha256: format!("{:x}", self.hasher.clone().finalize()),
            first_id: self.state.first_id.clone(),
            last_id: self.state.last_id.clone(),
            duplicates: self
                .duplicates
                .iter()
                .map(|(id, pages)| Duplicate {
                    id: id.clone(),
                    pages: pages.clone(),
                })
                .collect(),
            complete: stopped.is_none(),
            stopped,
        };
        let text =
            serde_json::to_string_pretty(&manifest).map_err(|e| Failure::usage(e.to_string()))?;
        std::fs::write(&self.manifest_path, text + "\n")
            .map_err(|e| io_failure(&self.manifest_path, e))
    }
}

/// The ends of the first `pages` pages, from the pages log (lines past them, from a run
/// killed between the log and the checkpoint, are ignored).
fn page_ends(path: &Path, pages: u64) -> Result<Vec<u64>, Failure> {
    if pages == 0 {
        return Ok(Vec::new());
    }
    let file = std::fs::File::open(path).map_err(|e| io_failure(path, e))?;
    let mut ends = Vec::new();
    for line in std::io::BufReader::new(file).lines().take(pages as usize) {
        let line = line.map_err(|e| io_failure(path, e))?;
        ends.push(
            line.trim()
                .parse()
                .map_err(|_| Failure::usage(format!("{}: not a pages log", path.display())))?,
        );
    }
    if ends.len() as u64 != pages {
        return Err(Failure::usage(format!(
            "{}: {} pages logged where the checkpoint counts {pages}",
            path.display(),
            ends.len()
        )));
    }
    Ok(ends)
}

/// Each record of `bytes` (an export's text in `format`) with its offset and id. A CSV
/// header, if `bytes` starts with one, is no record.
fn record_ids(format: Format, bytes: &[u8]) -> Result<Vec<(u64, String)>, Failure> {
    let bad = |e: String| {
        Failure::usage(format!(
            "the output holds a record that does not read back: {e}"
        ))
    };
    let mut out = Vec::new();
    match format {
        Format::Csv => {
            let header = header_bytes(Format::Csv).map_err(Failure::from)?;
            let has_header = bytes.starts_with(&header);
            let mut reader = csv::ReaderBuilder::new()
                .has_headers(has_header)
                .from_reader(bytes);
            let mut record = csv::StringRecord::new();
            loop {
                let offset = reader.position().byte();
                match reader.read_record(&mut record) {
                    Ok(false) => break,
                    Ok(true) => out.push((offset, record.get(1).unwrap_or_default().to_string())),
                    Err(e) => return Err(bad(e.to_string())),
                }
            }
        }
        _ => {
            let mut offset = 0u64;
            for line in bytes.split_inclusive(|b| *b == b'\n') {
                #[derive(Deserialize)]
                struct Id {
                    id: String,
                }
                let record: Id = serde_json::from_slice(line).map_err(|e| bad(e.to_string()))?;
                out.push((offset, record.id));
                offset += line.len() as u64;
            }
        }
    }
    Ok(out)
}

#[derive(clap::Args)]
pub struct VerifyArgs {
    /// The export (`purchases list --output FILE`).
    file: PathBuf,
    /// Its manifest (default: FILE.manifest.json beside it).
    #[arg(long, value_name = "FILE.json")]
    manifest: Option<PathBuf>,
}

/// `purchases verify FILE`: reads the export back and compares it with its manifest —
/// records, bytes, hash, first and last ids, ids seen twice. Exits 0 only if they all agree
/// and the manifest says the export is complete.
pub fn verify(args: VerifyArgs) -> Result<std::process::ExitCode, Failure> {
    let manifest_path = args
        .manifest
        .unwrap_or_else(|| beside(&args.file, ".manifest.json"));
    let text = std::fs::read(&manifest_path).map_err(|e| io_failure(&manifest_path, e))?;
    let manifest: Manifest = serde_json::from_slice(&text)
        .map_err(|e| Failure::usage(format!("{}: not a manifest: {e}", manifest_path.display())))?;
    let format = match manifest.arguments.format.as_str() {
        "csv" => Format::Csv,
        "jsonl" => Format::Jsonl,
        other => {
            return Err(Failure::usage(format!(
                "{}: format {other:?} cannot be verified",
                manifest_path.display()
            )))
        }
    };
    let bytes = std::fs::read(&args.file).map_err(|e| io_failure(&args.file, e))?;
    let sha256 = format!("{:x}", sha2::Sha256::digest(&bytes));
    let (records, duplicates, first, last) = match record_ids(format, &bytes) {
        Ok(ids) => {
            let mut count: HashMap<&str, usize> = HashMap::new();
            for (_, id) in &ids {
                *count.entry(id).or_default() += 1;
            }
            let mut twice: Vec<String> = count
                .into_iter()
                .filter(|(_, n)| *n > 1)
                .map(|(id, _)| id.to_string())
                .collect();
            twice.sort();
            let first = ids.first().map(|(_, id)| id.clone());
            let last = ids.last().map(|(_, id)| id.clone());
            (Some(ids.len() as u64), twice, first, last)
        }
        Err(e) => {
            outln!("records: {}", e.message);
            (None, Vec::new(), None, None)
        }
    };
    let mut listed: Vec<String> = manifest.duplicates.iter().map(|d| d.id.clone()).collect();
    listed.sort();
    let mut agree = true;
    let mut check = |what: &str, found: String, expected: String| {
        let ok = found == expected;
        agree &= ok;
        outln!(
            "{what}: {found}{}",
            if ok {
                String::new()
            } else {
                format!(" (the manifest says {expected})")
            }
        );
    };
    check(
        "records",
        records.map_or("unreadable".into(), |n| n.to_string()),
        manifest.records.to_string(),
    );
    check("bytes", bytes.len().to_string(), manifest.bytes.to_string());
    check("sha256", sha256, manifest.sha256.clone());
    check(
        "first id",
        format!("{first:?}"),
        format!("{:?}", manifest.first_id),
    );
    check(
        "last id",
        format!("{last:?}"),
        format!("{:?}", manifest.last_id),
    );
    check(
        "ids seen twice",
        format!("{duplicates:?}"),
        format!("{listed:?}"),
    );
    if !manifest.complete {
        outln!(
            "incomplete: the export stopped before the API's end ({})",
            manifest.stopped.as_deref().unwrap_or("no reason recorded")
        );
    }
    Ok(if agree && manifest.complete {
        outln!(
            "{}: verified against {}",
            args.file.display(),
            manifest_path.display()
        );
        std::process::ExitCode::SUCCESS
    } else {
        std::process::ExitCode::FAILURE
    })
}
