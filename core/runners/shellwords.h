#pragma once

#include "common/result.h"

#include <QStringList>

namespace cd::runners {

// Splits a profile's command line the way a POSIX shell splits words: single quotes are literal,
// double quotes allow \" \\ \$ \` escapes, a backslash outside quotes escapes the next character.
// No expansion of any kind happens: profiles are run without a shell.
Result<QStringList> splitShellWords(const QString &command);

} // namespace cd::runners
