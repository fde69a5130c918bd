#pragma once

#include "client/apiclient.h"
#include "connection.h"
#include "output.h"

#include <QCommandLineParser>
#include <QList>
#include <QString>

#include <QCoro/QCoroTask>

namespace cd::cli {

// What every subcommand works with.
struct Context
{
    client::ApiClient &api;
    const Output &out;
    const Connection &connection;
    const QCommandLineParser &args;
    bool json = false;
};

// One `crawldeck jobs <name>` subcommand.
struct Command
{
    QString name;
    QString usage;   // what follows the name, e.g. "ID [-f] [--level L] [--grep TEXT]"
    QString summary; // one line for the overview
    void (*options)(QCommandLineParser &parser);
    QCoro::Task<int> (*run)(Context &ctx);
};

QList<Command> jobCommands();    // list, show, start, cancel, retry
QList<Command> followCommands(); // logs, wait
QList<Command> fileCommands();   // artifacts, export

// For subcommands with no options of their own.
void noOptions(QCommandLineParser &parser);
// Prints why a call failed (with a hint for a refused token) and returns the exit code for it.
int fail(const Context &ctx, const client::ClientError &error);
// The one positional argument a subcommand takes (a job id), or an error printed and kExitUsage.
std::optional<QString> positionalId(const Context &ctx);

struct ResolvedId
{
    QString id;
    int exitCode = 0; // non-zero: printed why
};
// A job id or an unambiguous prefix of one, resolved through the list API: no match is exit 3,
// several are exit 2 with the candidates.
QCoro::Task<ResolvedId> resolveJobId(Context &ctx, QString prefix);
// The job a subcommand names: its one positional argument, resolved as above.
QCoro::Task<ResolvedId> namedJob(Context &ctx);

// A log line as printed: the message, coloured by its level.
QString logLineText(const Output &out, const QString &level, const QString &message);

} // namespace cd::cli
