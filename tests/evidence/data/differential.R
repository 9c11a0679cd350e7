# Differential check: fits every case listed in a manifest with metafor and
# writes the results as JSON.  Called by tests/evidence/test_evidence_differential.py:
#   Rscript tests/evidence/data/differential.R <case-dir> <out.json>
# <case-dir>/manifest.csv has columns: case, measure, file, moderator (0/1).
suppressPackageStartupMessages(library(metafor))
args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)])))
source(file.path(here, "json_writer.R"))
targs <- commandArgs(trailingOnly = TRUE)
case_dir <- targs[1]
out_file <- targs[2]
manifest <- read.csv(file.path(case_dir, "manifest.csv"), stringsAsFactors = FALSE)

summ <- function(res) {
  out <- list(beta = I(c(res$beta)), se = I(res$se), ci_lb = I(res$ci.lb),
              ci_ub = I(res$ci.ub), pval = I(res$pval), tau2 = res$tau2, i2 = res$I2,
              h2 = res$H2, q = res$QE, q_p = res$QEp, qm = res$QM, qm_p = res$QMp)
  if (!is.element(res$method, c("FE", "EE", "CE"))) {
    ci <- try(confint(res), silent = TRUE)
    if (!inherits(ci, "try-error")) {
      out$tau2_ci_lb <- ci$random["tau^2", "ci.lb"]
      out$tau2_ci_ub <- ci$random["tau^2", "ci.ub"]
    }
  }
  if (res$int.only) {
    pr <- predict(res)
    out$pi_lb <- if (is.null(pr$pi.lb)) NA else pr$pi.lb
    out$pi_ub <- if (is.null(pr$pi.ub)) NA else pr$pi.ub
  }
  out
}

results <- list()
for (i in seq_len(nrow(manifest))) {
  row <- manifest[i, ]
  d <- read.csv(file.path(case_dir, row$file))
  es <- switch(row$measure,
    GEN = escalc("GEN", yi = yi, vi = vi, data = d),
    SMD = escalc("SMD", m1i = m1i, sd1i = sd1i, n1i = n1i, m2i = m2i, sd2i = sd2i, n2i = n2i,
                 data = d),
    MD = escalc("MD", m1i = m1i, sd1i = sd1i, n1i = n1i, m2i = m2i, sd2i = sd2i, n2i = n2i,
                data = d),
    escalc(row$measure, ai = ai, bi = bi, ci = ci, di = di, data = d))
  fits <- list()
  for (m in c("FE", "DL", "HE", "SJ", "ML", "REML", "EB", "PM")) for (t in c("z", "knha")) {
    res <- try(suppressWarnings(rma(yi, vi, data = es, method = m, test = t)), silent = TRUE)
    key <- paste(m, t, sep = "_")
    fits[[key]] <- if (inherits(res, "try-error")) list(error = as.character(res)) else summ(res)
    if (row$moderator == 1) {
      res <- try(suppressWarnings(rma(yi, vi, mods = ~ x, data = cbind(es, x = d$x),
                                      method = m, test = t)), silent = TRUE)
      fits[[paste0(key, "_mod")]] <- if (inherits(res, "try-error"))
        list(error = as.character(res)) else summ(res)
    }
  }
  extra <- list()
  base <- try(suppressWarnings(rma(yi, vi, data = es, method = "REML")), silent = TRUE)
  if (!inherits(base, "try-error") && nrow(d) >= 3) {
    rt <- try(regtest(base), silent = TRUE)
    if (!inherits(rt, "try-error")) extra$regtest <- list(zval = rt$zval, pval = rt$pval)
    tf <- try(suppressWarnings(trimfill(base)), silent = TRUE)
    if (!inherits(tf, "try-error"))
      extra$trimfill <- list(k0 = tf$k0, side = tf$side, estimate = c(tf$beta), se = tf$se)
  }
  results[[i]] <- list(case = row$case, measure = row$measure, yi = I(as.vector(es$yi)),
                       vi = I(as.vector(es$vi)), fits = fits, extra = extra)
}
writeLines(to_json(list(metafor_version = as.character(packageVersion("metafor")),
                        cases = results)), out_file)
