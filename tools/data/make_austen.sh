#!/bin/sh
# Writes data/austen/pride_and_prejudice.txt: the opening chapters of Jane Austen's "Pride and
# Prejudice" (1813, public domain), up to the last whole chapter within 300 000 bytes. The text
# comes from Debian's r-cran-janeaustenr (Project Gutenberg's edition); R reads the package data.
#   apt-get install r-base-core r-cran-janeaustenr && tools/data/make_austen.sh
set -eu
out="$(dirname "$0")/../../data/austen/pride_and_prejudice.txt"
Rscript -e '
  library(janeaustenr)
  lines <- prideprejudice
  starts <- grep("^Chapter [0-9]+$", lines)
  size <- cumsum(nchar(lines, type = "bytes") + 1)
  # The first line of the first chapter that would not fit ends the excerpt.
  last <- starts[size[starts - 1] <= 300000]
  cut <- last[length(last)] - 1
  while (lines[cut] == "") cut <- cut - 1
  writeLines(lines[1:cut], commandArgs(TRUE)[1], useBytes = TRUE)
' "$out.tmp"
mv "$out.tmp" "$out"
wc -c "$out"
