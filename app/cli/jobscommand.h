#pragma once

#include <QStringList>

namespace cd::cli {

// `crawldeck jobs ...`: `args` is the command line without the word "jobs" (args[0] the program).
// Runs with a QCoreApplication only; returns the process exit code (exitcodes.h).
int runJobsCommand(const QStringList &args);

} // namespace cd::cli
