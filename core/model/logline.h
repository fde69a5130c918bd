#pragma once

#include <QDateTime>
#include <QJsonObject>
#include <QList>
#include <QMetaType>
#include <QString>

#include <optional>

namespace cd::model {

enum class LogLevel { Debug, Info, Success, Warning, Error, Summary };
// `system` marks lines Crawldeck itself writes into a job's log (start, exit, retries).
enum class LogSource { Stdout, Stderr, Callback, RunPod, System };

QString toString(LogLevel level);
std::optional<LogLevel> logLevelFromString(QStringView text);
QString toString(LogSource source);
std::optional<LogSource> logSourceFromString(QStringView text);

struct LogLine
{
    QString jobId;
    qint64 seq = 0;
    QDateTime ts;
    LogLevel level = LogLevel::Info;
    QString message;
    LogSource source = LogSource::Stdout;

    QJsonObject toJson() const;
};

using LogLines = QList<LogLine>;

} // namespace cd::model

Q_DECLARE_METATYPE(cd::model::LogLine)
