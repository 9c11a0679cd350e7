# Generates the frozen metafor test vectors used by tests/evidence/test_evidence_metafor.py.
#
# Run ONCE from the repository root (the output is committed):
#   Rscript tests/evidence/data/make_vectors.R
# Reference: metafor 3.8 (Debian r-cran-metafor), default control settings
# (painsim reproduces metafor's algorithms, including its convergence
# threshold and root finder, so defaults are compared with defaults).
suppressPackageStartupMessages(library(metafor))
args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)])))
source(file.path(here, "json_writer.R"))

# ---- datasets (also written as CSV for the Python side) ---------------------
bcg <- dat.bcg
bcg <- data.frame(study = paste(bcg$author, bcg$year), ai = bcg$tpos, bi = bcg$tneg,
                  ci = bcg$cpos, di = bcg$cneg, ablat = bcg$ablat, year = bcg$year,
                  alloc = bcg$alloc)
norm <- dat.normand1999
norm <- data.frame(study = norm$source, m1i = norm$m1i, sd1i = norm$sd1i, n1i = norm$n1i,
                   m2i = norm$m2i, sd2i = norm$sd2i, n2i = norm$n2i)
hack <- dat.hackshaw1998
hack <- data.frame(study = paste(hack$author, hack$year), yi = hack$yi, vi = hack$vi,
                   year = hack$year)
zero <- data.frame(study = paste("Trial", 1:6), ai = c(0, 3, 0, 5, 2, 10),
                   bi = c(20, 17, 15, 45, 28, 90), ci = c(2, 0, 0, 9, 4, 15),
                   di = c(18, 22, 15, 41, 26, 85))
write.csv(bcg, file.path(here, "bcg.csv"), row.names = FALSE)
write.csv(norm, file.path(here, "normand1999.csv"), row.names = FALSE)
write.csv(hack, file.path(here, "hackshaw1998.csv"), row.names = FALSE)
write.csv(zero, file.path(here, "zerocells.csv"), row.names = FALSE)

fitsummary <- function(res) {
  out <- list(beta = I(c(res$beta)), se = I(res$se), zval = I(res$zval), pval = I(res$pval),
              ci_lb = I(res$ci.lb), ci_ub = I(res$ci.ub), tau2 = res$tau2,
              se_tau2 = res$se.tau2, i2 = res$I2, h2 = res$H2, q = res$QE, q_p = res$QEp,
              qm = res$QM, qm_p = res$QMp)
  if (!is.element(res$method, c("FE", "EE", "CE"))) {
    ci <- confint(res)
    out$tau2_ci_lb <- ci$random["tau^2", "ci.lb"]
    out$tau2_ci_ub <- ci$random["tau^2", "ci.ub"]
    out$i2_ci_lb <- ci$random["I^2(%)", "ci.lb"]
    out$i2_ci_ub <- ci$random["I^2(%)", "ci.ub"]
  }
  if (res$int.only) {
    pr <- predict(res)
    out$pi_lb <- if (is.null(pr$pi.lb)) NA else pr$pi.lb
    out$pi_ub <- if (is.null(pr$pi.ub)) NA else pr$pi.ub
  } else {
    out$r2 <- if (is.null(res$R2)) NA else res$R2
  }
  out
}

methods <- c("FE", "DL", "HE", "SJ", "ML", "REML", "EB", "PM")
tests <- c("z", "knha")

escalc_cases <- list()
add_es <- function(name, dataset, measure, es) {
  escalc_cases[[length(escalc_cases) + 1]] <<- list(name = name, dataset = dataset,
    measure = measure, yi = I(as.vector(es$yi)), vi = I(as.vector(es$vi)))
}
es_sets <- list(
  list("bcg", "RR", escalc("RR", ai = ai, bi = bi, ci = ci, di = di, data = bcg)),
  list("bcg", "OR", escalc("OR", ai = ai, bi = bi, ci = ci, di = di, data = bcg)),
  list("bcg", "RD", escalc("RD", ai = ai, bi = bi, ci = ci, di = di, data = bcg)),
  list("zerocells", "RR", escalc("RR", ai = ai, bi = bi, ci = ci, di = di, data = zero)),
  list("zerocells", "OR", escalc("OR", ai = ai, bi = bi, ci = ci, di = di, data = zero)),
  list("zerocells", "RD", escalc("RD", ai = ai, bi = bi, ci = ci, di = di, data = zero)),
  list("normand1999", "SMD", escalc("SMD", m1i = m1i, sd1i = sd1i, n1i = n1i, m2i = m2i,
                                    sd2i = sd2i, n2i = n2i, data = norm)),
  list("normand1999", "MD", escalc("MD", m1i = m1i, sd1i = sd1i, n1i = n1i, m2i = m2i,
                                   sd2i = sd2i, n2i = n2i, data = norm)),
  list("hackshaw1998", "GEN", escalc("GEN", yi = yi, vi = vi, data = hack))
)
rma_cases <- list()
for (s in es_sets) {
  add_es(paste(s[[1]], s[[2]]), s[[1]], s[[2]], s[[3]])
  if (s[[1]] == "zerocells") next
  for (m in methods) for (t in tests) {
    res <- rma(yi, vi, data = s[[3]], method = m, test = t)
    rma_cases[[length(rma_cases) + 1]] <- list(dataset = s[[1]], measure = s[[2]],
      method = m, test = t, mods = list(), result = fitsummary(res))
  }
}

# ---- meta-regression --------------------------------------------------------
esb <- escalc("RR", ai = ai, bi = bi, ci = ci, di = di, data = bcg)
metareg_cases <- list()
for (m in c("FE", "DL", "REML", "PM", "ML")) for (t in tests) {
  for (mods in list(c("ablat"), c("ablat", "year"))) {
    res <- rma(yi, vi, mods = as.matrix(bcg[, mods, drop = FALSE]), data = esb, method = m,
               test = t)
    metareg_cases[[length(metareg_cases) + 1]] <- list(dataset = "bcg", measure = "RR",
      method = m, test = t, mods = I(mods), result = fitsummary(res))
  }
}

# ---- subgroups: mixed-effects QM (common tau^2) and separate-tau^2 Q-between -----
subgroup_cases <- list()
for (m in c("DL", "REML")) for (t in tests) {
  res <- rma(yi, vi, mods = ~ factor(alloc), data = esb, method = m, test = t)
  groups <- sort(unique(bcg$alloc))
  fits <- lapply(groups, function(g) rma(yi, vi, data = esb, subset = bcg$alloc == g,
                                        method = m, test = t))
  est <- sapply(fits, function(f) c(f$beta))
  se <- sapply(fits, function(f) f$se)
  between <- rma(est, sei = se, method = "FE")
  subgroup_cases[[length(subgroup_cases) + 1]] <- list(dataset = "bcg", measure = "RR",
    method = m, test = t, groups = I(groups),
    estimates = I(est), se = I(se), tau2 = I(sapply(fits, function(f) f$tau2)),
    q_between = between$QE, q_between_df = length(groups) - 1, q_between_p = between$QEp,
    qm = res$QM, qm_p = res$QMp, qm_df = I(c(res$QMdf)))
}

# ---- leave-one-out and cumulative -------------------------------------------
l1o_cases <- list()
cumul_cases <- list()
for (m in c("FE", "DL", "REML", "PM")) for (t in tests) {
  res <- rma(yi, vi, data = esb, method = m, test = t)
  l1 <- leave1out(res)
  l1o_cases[[length(l1o_cases) + 1]] <- list(dataset = "bcg", measure = "RR", method = m,
    test = t, estimate = I(l1$estimate), se = I(l1$se), ci_lb = I(l1$ci.lb),
    ci_ub = I(l1$ci.ub), q = I(l1$Q), i2 = I(l1$I2),
    tau2 = if (is.null(l1$tau2)) I(rep(0, res$k)) else I(l1$tau2))
  cu <- cumul(res, order = bcg$year)
  cumul_cases[[length(cumul_cases) + 1]] <- list(dataset = "bcg", measure = "RR", method = m,
    test = t, order = I(order(bcg$year) - 1), estimate = I(cu$estimate), se = I(cu$se),
    ci_lb = I(cu$ci.lb), ci_ub = I(cu$ci.ub), q = I(cu$Q), i2 = I(cu$I2),
    tau2 = if (is.null(cu$tau2)) I(rep(0, res$k)) else I(cu$tau2))
}

# ---- Egger's regression test and trim-and-fill --------------------------------
esn <- escalc("SMD", m1i = m1i, sd1i = sd1i, n1i = n1i, m2i = m2i, sd2i = sd2i, n2i = n2i,
              data = norm)
esh <- escalc("GEN", yi = yi, vi = vi, data = hack)
pub_sets <- list(list("bcg", "RR", esb), list("hackshaw1998", "GEN", esh),
                 list("normand1999", "SMD", esn))
regtest_cases <- list()
trimfill_cases <- list()
for (s in pub_sets) for (m in c("FE", "DL", "REML")) for (t in tests) {
  res <- rma(yi, vi, data = s[[3]], method = m, test = t)
  rt <- regtest(res)
  regtest_cases[[length(regtest_cases) + 1]] <- list(dataset = s[[1]], measure = s[[2]],
    method = m, test = t, zval = rt$zval, pval = rt$pval, dfs = rt$dfs,
    est = rt$est, ci_lb = rt$ci.lb, ci_ub = rt$ci.ub)
  tf <- trimfill(res)
  trimfill_cases[[length(trimfill_cases) + 1]] <- list(dataset = s[[1]], measure = s[[2]],
    method = m, test = t, k0 = tf$k0, side = tf$side, se_k0 = tf$se.k0,
    yi = I(as.vector(tf$yi)), vi = I(as.vector(tf$vi)), fill = I(tf$fill),
    estimate = c(tf$beta), se = tf$se, ci_lb = tf$ci.lb, ci_ub = tf$ci.ub, tau2 = tf$tau2,
    q = tf$QE)
}

out <- list(
  metafor_version = as.character(packageVersion("metafor")),
  r_version = R.version.string,
  escalc = escalc_cases, rma = rma_cases, metareg = metareg_cases,
  subgroup = subgroup_cases, leave1out = l1o_cases, cumulative = cumul_cases,
  regtest = regtest_cases, trimfill = trimfill_cases
)
writeLines(to_json(out), file.path(here, "metafor_vectors.json"))
cat("wrote", file.path(here, "metafor_vectors.json"), "\n")
