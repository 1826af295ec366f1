# Exports the survival test datasets to tests/data/ (run from the repository root).
#
# - survival_lung.csv: `lung` from R package survival (NCCTG advanced lung cancer trial;
#   Loprinzi et al. 1994, J Clin Oncol 12:601-607). Rows with missing `inst` or `ph.ecog` are
#   removed (226 of 228 rows). `status` recoded to 0 = censored, 1 = dead (survival codes 1/2);
#   `sex` recoded to 0 = male, 1 = female.
# - survival_veteran.csv: `veteran` from survival (Veterans' Administration lung cancer trial;
#   Kalbfleisch & Prentice 2002). `trt` recoded to 0 = standard, 1 = test; celltype indicators
#   added (reference level squamous).
# - survival_sim.csv: simulated, seed 20240605: 3 arms, 5 sites, Weibull event times rounded
#   to whole days (many ties), uniform censoring.
# The survival package is LGPL (>= 2); its datasets are public data from published trials.
suppressPackageStartupMessages(library(survival))
out <- "tests/data"

lung2 <- lung[!is.na(lung$inst) & !is.na(lung$ph.ecog), ]
lung_csv <- data.frame(
  time = lung2$time, status = lung2$status - 1L, age = lung2$age,
  sex = lung2$sex - 1L, ph_ecog = lung2$ph.ecog, inst = lung2$inst)
write.csv(lung_csv, file.path(out, "survival_lung.csv"), row.names = FALSE)

v <- veteran
vet_csv <- data.frame(
  time = v$time, status = v$status, trt = v$trt - 1L, celltype = as.character(v$celltype),
  karno = v$karno, diagtime = v$diagtime, age = v$age, prior = v$prior / 10,
  smallcell = as.integer(v$celltype == "smallcell"), adeno = as.integer(v$celltype == "adeno"),
  large = as.integer(v$celltype == "large"))
write.csv(vet_csv, file.path(out, "survival_veteran.csv"), row.names = FALSE)

set.seed(20240605)
n <- 300
arm <- sample(c("prp", "stem_cell", "corticosteroid"), n, replace = TRUE)
site <- sample(paste0("site", 1:5), n, replace = TRUE)
age <- round(rnorm(n, 58, 9))
bmi <- round(rnorm(n, 28, 4), 1)
lp <- 0.5 * (arm == "stem_cell") - 0.3 * (arm == "prp") + 0.02 * (age - 58) +
  c(site1 = 0, site2 = 0.3, site3 = -0.2, site4 = 0.1, site5 = 0.4)[site]
t_event <- rweibull(n, shape = 1.3, scale = 400 * exp(-lp / 1.3))
t_cens <- runif(n, 60, 720)
time <- pmax(1, round(pmin(t_event, t_cens) / 7) * 7)  # weekly visits: many ties
status <- as.integer(t_event <= t_cens)
sim <- data.frame(time = time, status = status, arm = arm, site = site, age = age, bmi = bmi,
  stem_cell = as.integer(arm == "stem_cell"), prp = as.integer(arm == "prp"))
write.csv(sim, file.path(out, "survival_sim.csv"), row.names = FALSE)
