#pragma once

#include <QJsonValue>
#include <QList>
#include <QString>
#include <QStringList>

#include <cstdio>

namespace cd::cli {

enum class Colour { None, Red, Green, Yellow, Blue, Magenta, Cyan, Grey, Bold };

struct Cell
{
    QString text;
    Colour colour = Colour::None;
};

// What the command line writes: plain lines and tables for people (coloured only on a terminal,
// never with NO_COLOR set), JSON for scripts. Every line is flushed at once, so a pipe sees a
// followed log as it happens.
class Output
{
public:
    Output();

    bool colour() const { return m_colour; }
    // Progress lines on stderr only make sense when someone watches it.
    bool stderrIsTerminal() const { return m_stderrTerminal; }

    void line(const QString &text) const;
    void json(const QJsonValue &value, bool compact = false) const;
    void table(const QStringList &headers, const QList<QList<Cell>> &rows) const;
    // "crawldeck: <text>" on stderr.
    void error(const QString &text) const;
    void progress(const QString &text) const; // an overwritten stderr line; "" ends it

    QString paint(const QString &text, Colour c) const;

private:
    static void write(std::FILE *f, const QString &text);
    bool m_colour = false;
    bool m_stderrTerminal = false;
};

// How statuses and log levels are coloured everywhere.
Colour statusColour(const QString &status);
Colour levelColour(const QString &level);

// "1.2 MiB", "512 B".
QString humanSize(qint64 bytes);
// "3m 05s", "-" when never started.
QString humanDuration(qint64 secs);

} // namespace cd::cli
