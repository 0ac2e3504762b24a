//! Writing the dataset root: Parquet writers, and the reference tables.

use super::*;

/// A Parquet file being written.
pub(crate) struct Writer {
    pub(crate) path: PathBuf,
    pub(crate) writer: ArrowWriter<File>,
}

impl Writer {
    pub(crate) fn create(path: PathBuf, schema: &RecordBatch) -> Result<Self> {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|source| GenerateError::Io {
                path: parent.into(),
                source,
            })?;
        }
        let file = File::create(&path).map_err(|source| GenerateError::Io {
            path: path.clone(),
            source,
        })?;
        let properties = WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .build();
        let writer =
            ArrowWriter::try_new(file, schema.schema(), Some(properties)).map_err(|source| {
                GenerateError::Parquet {
                    path: path.clone(),
                    source,
                }
            })?;
        Ok(Writer { path, writer })
    }
    pub(crate) fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        self.writer
            .write(batch)
            .map_err(|source| GenerateError::Parquet {
                path: self.path.clone(),
                source,
            })
    }
    pub(crate) fn close(self) -> Result<()> {
        self.writer
            .close()
            .map_err(|source| GenerateError::Parquet {
                path: self.path,
                source,
            })?;
        Ok(())
    }
}

/// Lazily opened writers keyed by their file.
#[derive(Default)]
pub(crate) struct Writers(BTreeMap<PathBuf, Writer>);

impl Writers {
    pub(crate) fn write(&mut self, path: PathBuf, batch: &RecordBatch) -> Result<()> {
        if batch.num_rows() == 0 {
            return Ok(());
        }
        if !self.0.contains_key(&path) {
            let writer = Writer::create(path.clone(), batch)?;
            self.0.insert(path.clone(), writer);
        }
        self.0.get_mut(&path).expect("inserted above").write(batch)
    }
    pub(crate) fn close(self) -> Result<()> {
        self.0
            .into_values()
            .collect::<Vec<_>>()
            .into_par_iter()
            .map(Writer::close)
            .collect()
    }
}

pub(crate) fn write_single(path: PathBuf, batch: &RecordBatch) -> Result<()> {
    let mut w = Writer::create(path, batch)?;
    w.write(batch)?;
    w.close()
}

pub(crate) fn write_reference(world: &World, out: &Path) -> Result<()> {
    let r = &world.reference;
    let strings =
        |v: Vec<&str>| Arc::new(datafusion::arrow::array::StringArray::from(v)) as ArrayRef;
    write_single(
        out.join("areas/part-0.parquet"),
        &batch(
            "areas",
            vec![
                (
                    "area_id",
                    strings(r.areas.iter().map(|a| a.area_id.as_str()).collect()),
                ),
                (
                    "area_name",
                    strings(r.areas.iter().map(|a| a.area_name.as_str()).collect()),
                ),
                (
                    "region",
                    strings(r.areas.iter().map(|a| a.region.as_str()).collect()),
                ),
                (
                    "working_age_population_thousands",
                    Arc::new(
                        r.areas
                            .iter()
                            .map(|a| a.working_age_population_thousands as i64)
                            .collect::<datafusion::arrow::array::Int64Array>(),
                    ),
                ),
            ],
        )?,
    )?;
    let mut start = Date32Builder::new();
    let mut funding = Int64Builder::new();
    for ap in &r.area_programmes {
        start.append_value(date32(ap.start_date));
        funding.append_option(ap.funding_gbp);
    }
    write_single(
        out.join("area_programmes/part-0.parquet"),
        &batch(
            "area_programmes",
            vec![
                (
                    "area_id",
                    strings(
                        r.area_programmes
                            .iter()
                            .map(|a| a.area_id.as_str())
                            .collect(),
                    ),
                ),
                (
                    "programme",
                    strings(
                        r.area_programmes
                            .iter()
                            .map(|a| a.programme.as_str())
                            .collect(),
                    ),
                ),
                ("start_date", Arc::new(start.finish())),
                ("funding_gbp", Arc::new(funding.finish())),
            ],
        )?,
    )?;
    let mut source_date = Date32Builder::new();
    for f in &r.footprints {
        source_date.append_value(date32(f.source_date));
    }
    write_single(
        out.join("area_footprints/part-0.parquet"),
        &batch(
            "area_footprints",
            vec![
                (
                    "area_id",
                    strings(r.footprints.iter().map(|f| f.area_id.as_str()).collect()),
                ),
                (
                    "lad_code",
                    strings(r.footprints.iter().map(|f| f.lad_code.as_str()).collect()),
                ),
                (
                    "lad_name",
                    strings(r.footprints.iter().map(|f| f.lad_name.as_str()).collect()),
                ),
                (
                    "share",
                    Arc::new(
                        r.footprints
                            .iter()
                            .map(|f| f.share)
                            .collect::<datafusion::arrow::array::Float64Array>(),
                    ),
                ),
                (
                    "source",
                    strings(r.footprints.iter().map(|f| f.source.as_str()).collect()),
                ),
                ("source_date", Arc::new(source_date.finish())),
            ],
        )?,
    )?;
    write_single(
        out.join("programmes/part-0.parquet"),
        &batch(
            "programmes",
            vec![
                (
                    "programme",
                    strings(r.programmes.iter().map(|p| p.programme.as_str()).collect()),
                ),
                (
                    "funding_gbp",
                    Arc::new(
                        r.programmes
                            .iter()
                            .map(|p| p.funding_gbp)
                            .collect::<datafusion::arrow::array::Int64Array>(),
                    ),
                ),
                (
                    "description",
                    strings(
                        r.programmes
                            .iter()
                            .map(|p| p.description.as_str())
                            .collect(),
                    ),
                ),
            ],
        )?,
    )
}
