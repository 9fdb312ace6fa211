/* slurm_time.h - Slurm's time formats: time limits in (M, M:S, H:M:S, D-H,
 * D-H:M, D-H:M:S, UNLIMITED), elapsed times and limits out (squeue's TIME,
 * sinfo's TIMELIMIT), and --begin times. */
#pragma once

#include <cstdint>
#include <ctime>
#include <string>

namespace slurm {

/* Minutes of a Slurm time limit, -1 for UNLIMITED/INFINITE; on a bad text
 * returns -2 (callers print "Invalid time limit specification").  Seconds
 * round up to the next minute, as Slurm does ("0:30" is 1 minute). */
int64_t parse_time_limit(const std::string &s);

/* Seconds of a time limit (the same formats), -1 unlimited, -2 invalid:
 * M:S keeps its seconds (Flux's duration is in seconds). */
int64_t parse_time_limit_seconds(const std::string &s);

/* An elapsed time as squeue prints it: "0:00", "1:05", "1:00:00",
 * "2-03:04:05". */
std::string format_elapsed(int64_t seconds);

/* An elapsed time or limit as sacct prints it (Slurm's secs2time_str):
 * hours always two digits, "00:00:05", "01:00:00", "2-03:04:05";
 * sacct's Timelimit "UNLIMITED" when < 0 or 0. */
std::string format_elapsed_sacct(int64_t seconds);
std::string format_limit_sacct(int64_t seconds);

/* A time limit in seconds as squeue/sinfo print it: "UNLIMITED" (or
 * INFINITE_WORD when < 0... callers pick), "30:00", "1-00:00:00". */
std::string format_limit(int64_t seconds, const char *unlimited_word = "UNLIMITED");

/* --begin: "now+N[units]", "HH:MM[:SS]", "YYYY-MM-DD[THH:MM[:SS]]",
 * "midnight", "noon", "teatime", "tomorrow", "today".  Epoch seconds, or
 * -1 if invalid.  NOW is the reference time. */
int64_t parse_begin(const std::string &s, time_t now);

/* A timestamp as sacct prints it: "2026-12-05T07:00:00", "Unknown" if 0. */
std::string format_timestamp(double t);

} // namespace slurm
