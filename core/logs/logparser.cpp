#include "logparser.h"

#include <QJsonDocument>
#include <QRegularExpression>

namespace cd::logs {

using model::LogLevel;
using model::LogSource;

namespace {

const QRegularExpression &tagPattern()
{
    static const QRegularExpression re(
        QStringLiteral(R"(^\s*\[(INFO|SUCCESS|OK|WARNING|WARN|ERROR|ERR|CRITICAL|FATAL|DEBUG|SUMMARY)\])"),
        QRegularExpression::CaseInsensitiveOption);
    return re;
}

const QRegularExpression &progressPattern()
{
    static const QRegularExpression re(QStringLiteral(R"(progress\s*:\s*(\d{1,3}(?:\.\d+)?)\s*%)"),
                                       QRegularExpression::CaseInsensitiveOption);
    return re;
}

LogLevel levelForTag(const QString &tag)
{
    const QString t = tag.toUpper();
    if (t == u"INFO")
        return LogLevel::Info;
    if (t == u"SUCCESS" || t == u"OK")
        return LogLevel::Success;
    if (t == u"WARNING" || t == u"WARN")
        return LogLevel::Warning;
    if (t == u"DEBUG")
        return LogLevel::Debug;
    if (t == u"SUMMARY")
        return LogLevel::Summary;
    return LogLevel::Error;
}

LogLevel defaultLevel(LogSource source)
{
    return source == LogSource::Stderr ? LogLevel::Warning : LogLevel::Info;
}

// Cuts at a UTF-8 sequence boundary so the kept part decodes cleanly.
QByteArray capBytes(const QByteArray &raw, bool *truncated)
{
    if (raw.size() <= LogParser::kMaxLineBytes) {
        *truncated = false;
        return raw;
    }
    qsizetype cut = LogParser::kMaxLineBytes;
    while (cut > 0 && (static_cast<unsigned char>(raw.at(cut)) & 0xC0) == 0x80)
        --cut;
    *truncated = true;
    return raw.left(cut);
}

ParsedLine classify(QString text, LogSource source);

} // namespace

ParsedLine LogParser::parse(const QByteArray &raw, LogSource source)
{
    bool truncated = false;
    QByteArray bytes = capBytes(raw, &truncated);
    while (bytes.endsWith('\r') || bytes.endsWith('\n'))
        bytes.chop(1);
    QString text = QString::fromUtf8(bytes);
    if (truncated)
        text += QStringLiteral(" …[line truncated: %1 bytes omitted]").arg(raw.size() - bytes.size());
    ParsedLine p = classify(text, source);
    p.truncated = truncated;
    return p;
}

ParsedLine LogParser::parse(const QString &text, LogSource source)
{
    // Long text takes the byte path so the cap is measured in bytes, like pipe input.
    if (text.size() * 3 > kMaxLineBytes && text.toUtf8().size() > kMaxLineBytes)
        return parse(text.toUtf8(), source);
    return classify(text, source);
}

namespace {

ParsedLine classify(QString text, LogSource source)
{
    ParsedLine p;
    while (text.endsWith(u'\r') || text.endsWith(u'\n'))
        text.chop(1);
    // PostgreSQL text cannot hold NUL: one such byte would block every later commit.
    text.replace(QChar(u'\0'), QChar::ReplacementCharacter);
    p.message = text;
    p.level = defaultLevel(source);

    const auto tag = tagPattern().match(text);
    if (tag.hasMatch()) {
        p.level = levelForTag(tag.captured(1));
        if (p.level == LogLevel::Summary) {
            const QString payload = text.mid(tag.capturedEnd(0)).trimmed();
            QJsonParseError err{};
            const QJsonDocument doc = QJsonDocument::fromJson(payload.toUtf8(), &err);
            if (err.error == QJsonParseError::NoError && doc.isObject())
                p.summary = doc.object();
            else if (err.error != QJsonParseError::NoError)
                p.summaryError = QStringLiteral("[SUMMARY] line is not valid JSON (%1 at offset %2); "
                                                "the line is kept, the job summary is unchanged")
                                     .arg(err.errorString())
                                     .arg(err.offset);
            else
                p.summaryError = QStringLiteral("[SUMMARY] line carries JSON that is not an object; "
                                                "the line is kept, the job summary is unchanged");
        }
    }

    const auto prog = progressPattern().match(text);
    if (prog.hasMatch()) {
        const double v = prog.captured(1).toDouble();
        p.progress = qBound(0, static_cast<int>(v), 100);
    }
    return p;
}

} // namespace

} // namespace cd::logs
