# The provenance record of every golden file: one schema for all of them, checked by
# tests/it/golden_provenance.rs. Sourced by the reference scripts (run from the crate root).
#
#   source        "third_party": the reference values are computed by R and its packages;
#                 "independent_script": by the script's own implementation of the formulas
#   tool          "R"; tool_version: R.version.string without its "R version " prefix
#   packages      name -> version of every package the values depend on (and jsonlite)
#   script        the script that writes the golden, crate-relative
#   generated     the date of the run, YYYY-MM-DD
#   data          input files, crate-relative (empty when the script generates its inputs)
#   method, model, notes   optional text
#   details       optional golden-specific record (cross-checks, run time, ...)
golden_provenance <- function(source, script, packages, data = character(0), method = NULL,
                              model = NULL, notes = NULL, details = NULL) {
  stopifnot(source %in% c("third_party", "independent_script"))
  versions <- lapply(packages, function(p) as.character(packageVersion(p)))
  names(versions) <- packages
  p <- list(
    source = source,
    tool = "R",
    tool_version = sub("^R version ", "", R.version.string),
    packages = versions,
    script = script,
    generated = format(Sys.Date()),
    # I(): an array even for one file or none (write_json runs with auto_unbox = TRUE)
    data = I(as.character(data))
  )
  if (!is.null(method)) p$method <- method
  if (!is.null(model)) p$model <- model
  if (!is.null(notes)) p$notes <- notes
  if (!is.null(details)) p$details <- details
  p
}
