# Minimal JSON writer (base R only; jsonlite is not needed).  Numbers are
# written with 17 significant digits so that doubles round-trip exactly.
to_json <- function(x, indent = 0) {
  pad <- strrep(" ", indent)
  pad2 <- strrep(" ", indent + 1)
  if (is.null(x)) return("null")
  if (is.list(x)) {
    if (!is.null(names(x)) && length(x) > 0) {
      items <- vapply(names(x), function(n)
        paste0(pad2, "\"", n, "\": ", to_json(x[[n]], indent + 1)), "")
      return(paste0("{\n", paste(items, collapse = ",\n"), "\n", pad, "}"))
    }
    items <- vapply(x, function(e) paste0(pad2, to_json(e, indent + 1)), "")
    return(paste0("[\n", paste(items, collapse = ",\n"), "\n", pad, "]"))
  }
  scalar <- function(v) {
    if (is.na(v)) return("null")
    if (is.logical(v)) return(ifelse(v, "true", "false"))
    if (is.numeric(v)) {
      if (is.infinite(v)) return("null")
      return(sprintf("%.17g", v))
    }
    v <- gsub("\\", "\\\\", as.character(v), fixed = TRUE)
    v <- gsub("\"", "\\\"", v, fixed = TRUE)
    v <- gsub("\n", "\\n", v, fixed = TRUE)
    v <- gsub("\t", "\\t", v, fixed = TRUE)
    paste0("\"", v, "\"")
  }
  if (inherits(x, "AsIs") || length(x) != 1) {
    return(paste0("[", paste(vapply(as.vector(x), scalar, ""), collapse = ", "), "]"))
  }
  scalar(x)
}
