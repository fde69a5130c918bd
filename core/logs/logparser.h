#pragma once

#include "model/logline.h"

#include <QByteArray>
#include <QJsonObject>
#include <QString>

#include <optional>

namespace cd::logs {

// The seed log-line protocol (DESIGN §3): level tags at line start, `Progress: N%` anywhere,
// `[SUMMARY] {json}` carrying the job summary.
struct ParsedLine
{
    model::LogLevel level = model::LogLevel::Info;
    QString message;             // the whole line as the worker wrote it (tags kept)
    std::optional<int> progress; // 0..100
    std::optional<QJsonObject> summary;
    QString summaryError; // set when a [SUMMARY] line did not carry a JSON object
    bool truncated = false;
};

class LogParser
{
public:
    static constexpr qsizetype kMaxLineBytes = 64 * 1024;

    // Raw bytes from a pipe or a callback: invalid UTF-8 is replaced, never dropped.
    static ParsedLine parse(const QByteArray &raw, model::LogSource source);
    static ParsedLine parse(const QString &text, model::LogSource source);
};

} // namespace cd::logs
