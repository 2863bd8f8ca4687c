//! Writing purchases as a table, JSON lines, a JSON array or CSV, as they stream in.

use purchase_clients::redact::{escape_controls, Redactor};
use purchase_clients::{CompactString, Purchase};
use std::io::{self, IsTerminal, Write};

/// An output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Aligned columns for a terminal.
    Table,
    /// One JSON object per line.
    Jsonl,
    /// One JSON array.
    Json,
    /// CSV with a header row.
    Csv,
}

impl Format {
    /// The format's name, as `--format` takes it.
    pub fn name(self) -> String {
        clap::ValueEnum::to_possible_value(&self)
            .map(|v| v.get_name().to_string())
            .unwrap_or_default()
    }

    /// The format to use when none is given: a table on a terminal, JSON lines otherwise.
    pub fn default_for_stdout() -> Format {
        if io::stdout().is_terminal() {
            Format::Table
        } else {
            Format::Jsonl
        }
    }
}

const COLUMNS: [&str; 7] = [
    "provider", "id", "time", "total", "currency", "status", "customer",
];

/// The columns of a purchase, each safe for a terminal (control characters escaped).
fn cells(p: &Purchase) -> [String; 7] {
    let opt = |s: &Option<CompactString>| escape_controls(s.as_deref().unwrap_or_default());
    [
        p.provider.name().to_string(),
        escape_controls(&p.id),
        p.time
            .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
            .unwrap_or_default(),
        p.total.map(|t| t.to_string()).unwrap_or_default(),
        opt(&p.currency),
        opt(&p.status),
        opt(&p.customer),
    ]
}

/// `p` with any credential a server echoed into its text fields redacted; `None` when
/// there is none (the common case, which costs one scan per field).
fn redacted(p: &Purchase, redactor: &Redactor) -> Option<Purchase> {
    let texts = [&p.currency, &p.status, &p.customer];
    let found = redactor.contains_secret(&p.id)
        || texts
            .iter()
            .any(|t| t.as_deref().is_some_and(|t| redactor.contains_secret(t)));
    found.then(|| {
        let mut clean = p.clone();
        clean.id = redactor.redact(&p.id).into();
        for text in [&mut clean.currency, &mut clean.status, &mut clean.customer]
            .into_iter()
            .flatten()
        {
            *text = redactor.redact(text).into();
        }
        clean
    })
}

/// The header an export in `format` starts with (CSV's column names; nothing for JSON lines).
pub fn header_bytes(format: Format) -> io::Result<Vec<u8>> {
    match format {
        Format::Csv => {
            let mut csv = csv::Writer::from_writer(Vec::new());
            csv.write_record(COLUMNS)?;
            csv.into_inner().map_err(|e| e.into_error())
        }
        _ => Ok(Vec::new()),
    }
}

/// A page of purchases as an export in `format` (JSON lines or CSV rows) writes them, with
/// credentials redacted and, in CSV, control characters escaped — the same bytes `Writer`
/// writes for them.
pub fn page_bytes(format: Format, page: &[Purchase], redactor: &Redactor) -> io::Result<Vec<u8>> {
    let mut out = Vec::new();
    let mut csv = (format == Format::Csv).then(|| csv::Writer::from_writer(Vec::new()));
    for p in page {
        let clean = redacted(p, redactor);
        let p = clean.as_ref().unwrap_or(p);
        match &mut csv {
            Some(csv) => csv.write_record(cells(p))?,
            None => {
                serde_json::to_writer(&mut out, p)?;
                out.push(b'\n');
            }
        }
    }
    match csv {
        Some(csv) => csv.into_inner().map_err(|e| e.into_error()),
        None => Ok(out),
    }
}

/// Writes purchases one at a time, in one format.
pub struct Writer {
    redactor: Redactor,
    format: Format,
    out: io::BufWriter<io::Stdout>,
    csv: Option<csv::Writer<io::Stdout>>,
    written: usize,
}

impl Writer {
    /// Starts the output (a header, or the array's opening bracket). Every credential form
    /// `redactor` knows is kept out of what is written.
    pub fn new(format: Format, redactor: Redactor) -> io::Result<Self> {
        let mut w = Writer {
            redactor,
            format,
            out: io::BufWriter::new(io::stdout()),
            csv: None,
            written: 0,
        };
        match format {
            Format::Table => {
                let header = COLUMNS.map(|c| c.to_uppercase());
                w.table_row(&header)?;
            }
            Format::Json => w.out.write_all(b"[")?,
            Format::Csv => {
                let mut csv = csv::Writer::from_writer(io::stdout());
                csv.write_record(COLUMNS)?;
                w.csv = Some(csv);
            }
            Format::Jsonl => {}
        }
        Ok(w)
    }

    fn table_row(&mut self, c: &[String; 7]) -> io::Result<()> {
        writeln!(
            self.out,
            "{:<9} {:<28} {:<25} {:>22} {:<8} {:<12} {}",
            c[0], c[1], c[2], c[3], c[4], c[5], c[6]
        )
    }

    /// Writes one purchase.
    pub fn write(&mut self, p: &Purchase) -> io::Result<()> {
        let clean = redacted(p, &self.redactor);
        let p = clean.as_ref().unwrap_or(p);
        match self.format {
            Format::Table => self.table_row(&cells(p))?,
            Format::Jsonl => {
                serde_json::to_writer(&mut self.out, p)?;
                self.out.write_all(b"\n")?;
            }
            Format::Json => {
                self.out
                    .write_all(if self.written == 0 { b"\n  " } else { b",\n  " })?;
                serde_json::to_writer(&mut self.out, p)?;
            }
            Format::Csv => {
                if let Some(csv) = &mut self.csv {
                    csv.write_record(cells(p))?;
                }
            }
        }
        self.written += 1;
        Ok(())
    }

    /// Ends the output.
    pub fn finish(mut self) -> io::Result<()> {
        if self.format == Format::Json {
            self.out
                .write_all(if self.written == 0 { b"]\n" } else { b"\n]\n" })?;
        }
        if let Some(mut csv) = self.csv.take() {
            csv.flush()?;
        }
        self.out.flush()
    }
}
