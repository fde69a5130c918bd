#pragma once

#include "settings/settings.h"

#include <QStringList>

namespace cd::app {

struct CommandLine
{
    bool headless = false;
    QString connectUrl; // --connect: the window attached to this server, no service of its own
    bool showHelp = false;
    bool showVersion = false;
    settings::Overrides overrides;
    QString error;
    QStringList warnings; // printed on stderr; the run goes on
    QString helpText;

    static CommandLine parse(const QStringList &args);
};

} // namespace cd::app
