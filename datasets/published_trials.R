# Writes datasets/published_trials.csv: a SYNTHETIC studies file shaped like the published
# literature on injections for musculoskeletal pain (knee osteoarthritis: stem cells versus
# hyaluronic acid or placebo; lateral epicondylitis: PRP versus corticosteroid; Achilles
# tendinopathy: PRP versus placebo). No row is a real study: labels, sizes, means, SDs and
# counts are drawn here from the seeded generator below.
#
# Run from the crate root:  Rscript datasets/published_trials.R
# (R's default Mersenne-Twister generator with sample.kind = "Rejection", seed 20261128.)
set.seed(20261128, kind = "Mersenne-Twister", normal.kind = "Inversion", sample.kind = "Rejection")

authors <- c("Abe", "Berg", "Costa", "Dahl", "Endo", "Fox", "Gupta", "Haas", "Ito", "Jung",
             "Kim", "Lund", "Moreau", "Nair", "Ortiz", "Park", "Quinn", "Rossi", "Sato",
             "Tan", "Uddin", "Vogel", "Wu", "Yilmaz")
label <- sample(authors)

# design of each synthetic comparison
rows <- data.frame(
  condition = c(rep("knee_oa", 10), rep("lateral_epicondylitis", 7), rep("achilles_tendinopathy", 4)),
  therapy = c(rep("stem_cell", 10), rep("prp", 11)),
  comparator = c(rep("hyaluronic_acid", 6), rep("placebo", 4), rep("corticosteroid", 7), rep("placebo", 4)),
  kind = c("c", "c", "c", "c", "b", "b", "c", "c", "c", "b",
           "c", "c", "c", "c", "b", "b", "b",
           "c", "c", "b", "b"),
  stringsAsFactors = FALSE
)
k <- nrow(rows)
rows$cell_source <- ifelse(rows$therapy == "stem_cell",
                           sample(c("bone_marrow", "adipose", "umbilical_cord"), k, replace = TRUE), "")
rows$year <- sample(2008:2024, k, replace = TRUE)
rows$follow_up_days <- sample(c(90, 180, 365), k, replace = TRUE, prob = c(0.3, 0.4, 0.3))
rows$risk_of_bias <- sample(c("low", "some_concerns", "high"), k, replace = TRUE, prob = c(0.4, 0.35, 0.25))
rows$study <- paste(label[seq_len(k)], rows$year)

# true mean differences on VAS pain (0-100 mm, lower is better) and true log odds ratios of
# response (>= 50 % pain relief), with between-study heterogeneity
true_md <- c(knee_oa = -9, lateral_epicondylitis = -7, achilles_tendinopathy = -4)
true_lor <- c(knee_oa = 0.6, lateral_epicondylitis = 0.5, achilles_tendinopathy = 0.3)
out <- vector("list", k)
for (i in seq_len(k)) {
  r <- rows[i, ]
  n1 <- sample(15:90, 1); n0 <- n1 + sample(-6:6, 1)
  cond <- r$condition
  longer <- (r$follow_up_days - 180) / 180
  if (r$kind == "c") {
    delta <- true_md[[cond]] + 2 * longer + rnorm(1, 0, 4)
    base <- runif(1, 35, 55)
    sd1 <- runif(1, 14, 24); sd0 <- runif(1, 14, 24)
    m0 <- base + rnorm(1, 0, sd0 / sqrt(n0))
    m1 <- base + delta + rnorm(1, 0, sd1 / sqrt(n1))
    out[[i]] <- data.frame(n_treated = n1, mean_treated = round(m1, 1), sd_treated = round(sd1, 1),
                           n_control = n0, mean_control = round(m0, 1), sd_control = round(sd0, 1),
                           events_treated = NA, events_control = NA)
  } else {
    p0 <- runif(1, 0.15, 0.45)
    lor <- true_lor[[cond]] + rnorm(1, 0, 0.3)
    p1 <- plogis(qlogis(p0) + lor)
    out[[i]] <- data.frame(n_treated = n1, mean_treated = NA, sd_treated = NA,
                           n_control = n0, mean_control = NA, sd_control = NA,
                           events_treated = rbinom(1, n1, p1), events_control = rbinom(1, n0, p0))
  }
}
vals <- do.call(rbind, out)
d <- cbind(rows[, c("study", "year", "condition", "therapy", "comparator", "cell_source",
                    "follow_up_days")], instrument = ifelse(rows$kind == "c", "vas", "responder_50"),
           vals, risk_of_bias = rows$risk_of_bias)
# a small trial with no responder in its control group (a zero cell, as such trials report)
z <- which(rows$kind == "b" & rows$condition == "achilles_tendinopathy")[1]
d$n_treated[z] <- 12; d$n_control[z] <- 11
d$events_treated[z] <- 4; d$events_control[z] <- 0
d <- d[order(d$condition, d$year, d$study), ]
write.csv(d, "datasets/published_trials.csv", row.names = FALSE, na = "", quote = FALSE)
