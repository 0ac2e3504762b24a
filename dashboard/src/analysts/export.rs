//! Query results in CSV, Parquet or JSON, streamed: each batch is encoded
//! and sent as it arrives, through a small bounded channel, so memory stays
//! flat however many rows there are. A failure or the time limit mid-stream
//! aborts the response (the client sees an incomplete transfer, never a
//! short file that looks whole).

use super::engine::{QueryError, Running};
use bytes::Bytes;
use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::csv::WriterBuilder as CsvWriterBuilder;
use datafusion::arrow::json::{ArrayWriter, WriterBuilder as JsonWriterBuilder};
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::parquet::file::properties::WriterProperties;
use futures::StreamExt;
use std::io::Write;
use std::sync::{Arc, Mutex};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Csv,
    Parquet,
    Json,
}

impl Format {
    pub fn parse(s: &str) -> Option<Format> {
        match s {
            "csv" => Some(Format::Csv),
            "parquet" => Some(Format::Parquet),
            "json" => Some(Format::Json),
            _ => None,
        }
    }
    pub fn extension(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Parquet => "parquet",
            Format::Json => "json",
        }
    }
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Csv => "text/csv; charset=utf-8",
            Format::Parquet => "application/vnd.apache.parquet",
            Format::Json => "application/json",
        }
    }
}

/// A `Write` whose bytes are taken out after each batch.
#[derive(Clone, Default)]
struct Chunks(Arc<Mutex<Vec<u8>>>);

impl Write for Chunks {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .map_err(|_| std::io::Error::other("buffer lock"))?
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Chunks {
    fn take(&self) -> Bytes {
        self.0
            .lock()
            .map(|mut b| Bytes::from(std::mem::take(&mut *b)))
            .unwrap_or_default()
    }
}

enum Encoder {
    Csv(datafusion::arrow::csv::Writer<Chunks>),
    Parquet(ArrowWriter<Chunks>),
    Json(ArrayWriter<Chunks>),
}

impl Encoder {
    fn new(format: Format, running: &Running, out: Chunks) -> Result<Encoder, String> {
        Ok(match format {
            Format::Csv => Encoder::Csv(CsvWriterBuilder::new().with_header(true).build(out)),
            Format::Parquet => {
                let props = WriterProperties::builder()
                    .set_max_row_group_row_count(Some(64 * 1024))
                    .set_compression(datafusion::parquet::basic::Compression::SNAPPY)
                    .build();
                Encoder::Parquet(
                    ArrowWriter::try_new(out, running.schema.clone(), Some(props))
                        .map_err(|e| e.to_string())?,
                )
            }
            Format::Json => Encoder::Json(
                JsonWriterBuilder::new()
                    .with_explicit_nulls(true)
                    .build::<_, datafusion::arrow::json::writer::JsonArray>(out),
            ),
        })
    }
    fn write(&mut self, batch: &RecordBatch) -> Result<(), String> {
        match self {
            Encoder::Csv(w) => w.write(batch).map_err(|e| e.to_string()),
            Encoder::Parquet(w) => {
                w.write(batch).map_err(|e| e.to_string())?;
                // Close the row group once it is big, so it leaves memory.
                if w.in_progress_rows() >= 64 * 1024 {
                    w.flush().map_err(|e| e.to_string())?;
                }
                Ok(())
            }
            Encoder::Json(w) => w.write(batch).map_err(|e| e.to_string()),
        }
    }
    fn finish(self, schema: &datafusion::arrow::datatypes::SchemaRef) -> Result<(), String> {
        match self {
            Encoder::Csv(mut w) => {
                // An empty result still gets its header line.
                w.write(&RecordBatch::new_empty(schema.clone()))
                    .map_err(|e| e.to_string())
            }
            Encoder::Parquet(w) => w.close().map(|_| ()).map_err(|e| e.to_string()),
            Encoder::Json(mut w) => w.finish().map_err(|e| e.to_string()),
        }
    }
}

/// The encoded chunks of a download; an error ends it early.
pub type Chunked = tokio_stream::wrappers::ReceiverStream<Result<Bytes, std::io::Error>>;

/// Stream a running query's whole result as `format`.
pub fn stream(mut running: Running, format: Format) -> Chunked {
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(2);
    tokio::spawn(async move {
        let out = Chunks::default();
        let mut rows = 0u64;
        let fail = |e: String| QueryError::Failed(e);
        let limit = running.time_left();
        let work = async {
            let mut encoder = Encoder::new(format, &running, out.clone()).map_err(fail)?;
            while let Some(batch) = running.stream.next().await {
                let batch = batch.map_err(|e| running.error(e))?;
                encoder.write(&batch).map_err(fail)?;
                rows += batch.num_rows() as u64;
                let chunk = out.take();
                if !chunk.is_empty() && tx.send(Ok(chunk)).await.is_err() {
                    return Err(QueryError::Failed("the client went away".into()));
                }
            }
            encoder.finish(&running.schema).map_err(fail)?;
            let chunk = out.take();
            if !chunk.is_empty() {
                let _ = tx.send(Ok(chunk)).await;
            }
            Ok(())
        };
        let result = match tokio::time::timeout(limit, work).await {
            Ok(r) => r,
            Err(_) => Err(QueryError::Timeout(running.limit_secs)),
        };
        match result {
            Ok(()) => running.finish(rows, None),
            Err(e) => {
                let _ = tx.send(Err(std::io::Error::other(e.to_string()))).await;
                running.finish(rows, Some(&e));
            }
        }
    });
    tokio_stream::wrappers::ReceiverStream::new(rx)
}
