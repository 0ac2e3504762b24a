//! Load: find each input table's Parquet files under the dataset root, check
//! every file's schema against the contract, and register the table with
//! DataFusion as `raw_<table>` (required columns only, in their read types).
//!
//! Nothing here looks at row values; that is `validate`'s job.

use crate::error::{PipelineError, Result};
use contract::QueryContext;
use contract::inputs::InputTable;
use contract::manifest::{InputFile, LoadedTable};
use contract::root::Root;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::{
    ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl,
};
use datafusion::datasource::physical_plan::parquet::metadata::DFParquetMetadata;
use datafusion::parquet::arrow::parquet_to_arrow_schema;
use datafusion::prelude::SessionContext;
use futures::TryStreamExt;
use object_store::ObjectStore;
use object_store::path::Path;
use std::sync::Arc;

/// Whether a listed object is a data file of the table: a `.parquet` file
/// with no hidden or temporary (`.` or `_` prefixed) segment under the table
/// folder, as Hive, Spark and DataFusion treat them.
fn is_data_file(table_prefix: &Path, location: &Path) -> bool {
    let Some(parts) = location.prefix_match(table_prefix) else {
        return false;
    };
    let parts: Vec<_> = parts.collect();
    let visible = parts.iter().all(|p| {
        let s = p.as_ref();
        !s.starts_with('.') && !s.starts_with('_')
    });
    visible && location.as_ref().ends_with(".parquet")
}

/// Find and check the files of one table, then register it as `raw_<name>`.
pub async fn load_table(
    ctx: &SessionContext,
    root: &Root,
    table: &InputTable,
) -> Result<LoadedTable> {
    let store = root.store(ctx)?;
    let table_prefix = root.prefix().clone().join(table.name);
    let location = root.join(&format!("{}/", table.name));
    let mut objects: Vec<_> = store
        .list(Some(&table_prefix))
        .try_collect::<Vec<_>>()
        .await
        .map_err(|e| PipelineError::Root {
            root: location.clone(),
            problem: format!("cannot list the table folder: {e}"),
        })?
        .into_iter()
        .filter(|meta| is_data_file(&table_prefix, &meta.location))
        .collect();
    objects.sort_by(|a, b| a.location.cmp(&b.location));
    if objects.is_empty() && table.optional {
        // An optional table left out reads as empty.
        let empty =
            datafusion::datasource::MemTable::try_new(table.read_schema(), vec![vec![]]).context(
                format!("registering the empty optional table `{}`", table.name),
            )?;
        ctx.register_table(format!("raw_{}", table.name), Arc::new(empty))
            .context(format!("registering table `{}`", table.name))?;
        return Ok(LoadedTable {
            table: table.name.into(),
            location,
            files: Vec::new(),
        });
    }
    if objects.is_empty() {
        return Err(PipelineError::MissingTable {
            table: table.name.into(),
            location,
        });
    }

    let mut files = Vec::with_capacity(objects.len());
    for meta in &objects {
        let url = root.object_url(&meta.location);
        let unreadable = |reason: String| PipelineError::UnreadableFile {
            table: table.name.into(),
            file: url.clone(),
            reason,
        };
        let metadata = DFParquetMetadata::new(store.as_ref(), meta)
            .fetch_metadata()
            .await
            .map_err(|e| unreadable(e.to_string()))?;
        let file_metadata = metadata.file_metadata();
        let schema = parquet_to_arrow_schema(
            file_metadata.schema_descr(),
            file_metadata.key_value_metadata(),
        )
        .map_err(|e| unreadable(e.to_string()))?;
        check_schema(table, &url, &schema)?;
        let rows = file_metadata.num_rows().max(0) as u64;
        files.push(InputFile {
            url,
            bytes: meta.size,
            rows,
        });
    }
    let loaded = LoadedTable {
        table: table.name.into(),
        location,
        files,
    };
    if loaded.rows() == 0 && !table.optional {
        return Err(PipelineError::EmptyTable {
            table: table.name.into(),
            location: loaded.location,
            files: loaded.files.len(),
        });
    }
    register_raw_table(ctx, table, &loaded)?;
    Ok(loaded)
}

/// Every required column is present in the file with a type of the right kind.
fn check_schema(
    table: &InputTable,
    file: &str,
    schema: &datafusion::arrow::datatypes::Schema,
) -> Result<()> {
    for column in &table.columns {
        let expected = column.kind.contract_name(column).to_string();
        match schema.field_with_name(column.name) {
            Err(_) => {
                return Err(PipelineError::MissingColumn {
                    table: table.name.into(),
                    file: file.into(),
                    column: column.name.into(),
                    expected,
                });
            }
            Ok(field) if !column.kind.accepts(field.data_type()) => {
                return Err(PipelineError::WrongType {
                    table: table.name.into(),
                    file: file.into(),
                    column: column.name.into(),
                    found: field.data_type().to_string(),
                    expected,
                });
            }
            Ok(_) => {}
        }
    }
    Ok(())
}

fn register_raw_table(
    ctx: &SessionContext,
    table: &InputTable,
    loaded: &LoadedTable,
) -> Result<()> {
    let what = format!("registering table `{}`", table.name);
    let urls = loaded
        .files
        .iter()
        .map(|f| ListingTableUrl::parse(&f.url))
        .collect::<datafusion::error::Result<Vec<_>>>()
        .context(what.clone())?;
    let options =
        ListingOptions::new(Arc::new(ParquetFormat::default())).with_file_extension(".parquet");
    let config = ListingTableConfig::new_with_multi_paths(urls)
        .with_listing_options(options)
        .with_schema(table.read_schema());
    let provider = ListingTable::try_new(config).context(what.clone())?;
    ctx.register_table(format!("raw_{}", table.name), Arc::new(provider))
        .context(what)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hidden_and_non_parquet_files_are_not_data() {
        let table = Path::from("data/employment");
        assert!(is_data_file(
            &table,
            &Path::from("data/employment/month=2025-01/part-0.parquet")
        ));
        assert!(!is_data_file(
            &table,
            &Path::from("data/employment/_SUCCESS")
        ));
        assert!(!is_data_file(
            &table,
            &Path::from("data/employment/.part-0.parquet.crc")
        ));
        assert!(!is_data_file(
            &table,
            &Path::from("data/employment/_tmp/part-0.parquet")
        ));
        assert!(!is_data_file(
            &table,
            &Path::from("data/employment_old/part-0.parquet")
        ));
    }
}
