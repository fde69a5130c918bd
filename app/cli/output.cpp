#include "output.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <unistd.h>

namespace cd::cli {

namespace {
bool wantsColour(int fd)
{
    // https://no-color.org: any non-empty value turns colour off.
    return ::isatty(fd) == 1 && qEnvironmentVariableIsEmpty("NO_COLOR") && qgetenv("TERM") != "dumb";
}

const char *code(Colour c)
{
    switch (c) {
    case Colour::Red: return "\x1b[31m";
    case Colour::Green: return "\x1b[32m";
    case Colour::Yellow: return "\x1b[33m";
    case Colour::Blue: return "\x1b[34m";
    case Colour::Magenta: return "\x1b[35m";
    case Colour::Cyan: return "\x1b[36m";
    case Colour::Grey: return "\x1b[90m";
    case Colour::Bold: return "\x1b[1m";
    case Colour::None: break;
    }
    return "";
}
} // namespace

Output::Output() : m_colour(wantsColour(STDOUT_FILENO)), m_stderrTerminal(::isatty(STDERR_FILENO) == 1) {}

void Output::write(std::FILE *f, const QString &text)
{
    const QByteArray bytes = text.toUtf8();
    std::fwrite(bytes.constData(), 1, static_cast<size_t>(bytes.size()), f);
    std::fflush(f);
}

QString Output::paint(const QString &text, Colour c) const
{
    if (!m_colour || c == Colour::None)
        return text;
    return QLatin1String(code(c)) + text + QLatin1String("\x1b[0m");
}

void Output::line(const QString &text) const
{
    write(stdout, text + u'\n');
}

void Output::json(const QJsonValue &value, bool compact) const
{
    const auto format = compact ? QJsonDocument::Compact : QJsonDocument::Indented;
    const QByteArray doc = value.isArray() ? QJsonDocument(value.toArray()).toJson(format)
                                           : QJsonDocument(value.toObject()).toJson(format);
    write(stdout, QString::fromUtf8(doc.endsWith('\n') ? doc : doc + '\n'));
}

void Output::error(const QString &text) const
{
    write(stderr, QStringLiteral("crawldeck: ") + text + u'\n');
}

void Output::progress(const QString &text) const
{
    if (!m_stderrTerminal)
        return;
    write(stderr, text.isEmpty() ? QStringLiteral("\r\x1b[K") : QStringLiteral("\r\x1b[K") + text);
}

void Output::table(const QStringList &headers, const QList<QList<Cell>> &rows) const
{
    QList<qsizetype> width;
    for (const QString &h : headers)
        width << h.size();
    for (const auto &row : rows)
        for (qsizetype i = 0; i < row.size() && i < width.size(); ++i)
            width[i] = qMax(width[i], row[i].text.size());
    auto render = [&](const QList<Cell> &cells) {
        QString out;
        for (qsizetype i = 0; i < cells.size(); ++i) {
            const bool last = i + 1 == cells.size();
            // Pad before painting: escape codes take no columns.
            const QString padded = last ? cells[i].text : cells[i].text.leftJustified(width[i]);
            out += paint(padded, cells[i].colour);
            if (!last)
                out += QStringLiteral("  ");
        }
        return out;
    };
    QList<Cell> head;
    for (const QString &h : headers)
        head << Cell{h, Colour::Bold};
    line(render(head));
    for (const auto &row : rows)
        line(render(row));
}

Colour statusColour(const QString &status)
{
    if (status == u"completed")
        return Colour::Green;
    if (status == u"failed" || status == u"timed_out")
        return Colour::Red;
    if (status == u"running" || status == u"starting")
        return Colour::Cyan;
    if (status == u"cancelling" || status == u"cancelled")
        return Colour::Yellow;
    return Colour::Grey;
}

Colour levelColour(const QString &level)
{
    if (level == u"ERROR")
        return Colour::Red;
    if (level == u"WARNING")
        return Colour::Yellow;
    if (level == u"SUCCESS")
        return Colour::Green;
    if (level == u"SUMMARY")
        return Colour::Magenta;
    if (level == u"DEBUG")
        return Colour::Grey;
    return Colour::None;
}

QString humanSize(qint64 bytes)
{
    if (bytes < 1024)
        return QStringLiteral("%1 B").arg(bytes);
    const char *units[] = {"KiB", "MiB", "GiB", "TiB"};
    double v = static_cast<double>(bytes);
    int u = -1;
    while (v >= 1024 && u < 3) {
        v /= 1024;
        ++u;
    }
    return QStringLiteral("%1 %2").arg(v, 0, 'f', 1).arg(QLatin1String(units[u]));
}

QString humanDuration(qint64 secs)
{
    if (secs < 0)
        return QStringLiteral("-");
    if (secs < 60)
        return QStringLiteral("%1s").arg(secs);
    if (secs < 3600)
        return QStringLiteral("%1m %2s").arg(secs / 60).arg(secs % 60, 2, 10, QLatin1Char('0'));
    return QStringLiteral("%1h %2m").arg(secs / 3600).arg((secs % 3600) / 60, 2, 10, QLatin1Char('0'));
}

} // namespace cd::cli
