# EVPPI by the regression metamodel of Strong, Oakley & Brennan (2014) with R's mgcv, the
# independent reference of painsim.economics.voi (tests/economics/test_voi.py).
#   Rscript tests/economics/data/evppi_mgcv.R <draws.csv> <wtp.csv> <out.csv>
# draws.csv: columns dE_1..dE_{k-1}, dC_1..dC_{k-1} (incremental effect and cost of each strategy
# against strategy 0) and phi_1..phi_p (the parameter group); wtp.csv: one column "wtp".
# Each increment is regressed on the group with gam(): s() for one parameter, te() for more
# (Strong et al.'s choice), smoothing by GCV (mgcv's default); the fitted increments give
# EVPPI(wtp) = mean(max_k g_k) - max_k mean(g_k), with g_0 = 0.
suppressPackageStartupMessages(library(mgcv))
args <- commandArgs(trailingOnly = TRUE)
draws <- read.csv(args[1])
wtp <- read.csv(args[2])$wtp
phi <- grep("^phi_", names(draws), value = TRUE)
smooth <- if (length(phi) == 1) sprintf("s(%s)", phi) else sprintf("te(%s)", paste(phi, collapse = ", "))
fitted_of <- function(column) fitted(gam(as.formula(paste(column, "~", smooth)), data = draws, method = "GCV.Cp"))
k1 <- length(grep("^dE_", names(draws)))
gE <- sapply(seq_len(k1), function(j) fitted_of(sprintf("dE_%d", j)))
gC <- sapply(seq_len(k1), function(j) fitted_of(sprintf("dC_%d", j)))
evppi <- sapply(wtp, function(lambda) {
  g <- cbind(0, lambda * matrix(gE, ncol = k1) - matrix(gC, ncol = k1))
  mean(apply(g, 1, max)) - max(colMeans(g))
})
write.csv(data.frame(wtp = wtp, evppi = evppi), args[3], row.names = FALSE)
