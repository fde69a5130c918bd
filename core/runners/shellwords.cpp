#include "shellwords.h"

namespace cd::runners {

Result<QStringList> splitShellWords(const QString &command)
{
    QStringList words;
    QString word;
    bool inWord = false;
    enum { None, Single, Double } quote = None;
    for (qsizetype i = 0; i < command.size(); ++i) {
        const QChar c = command.at(i);
        if (quote == Single) {
            if (c == u'\'')
                quote = None;
            else
                word += c;
            continue;
        }
        if (quote == Double) {
            if (c == u'"') {
                quote = None;
            } else if (c == u'\\' && i + 1 < command.size() && QStringView(u"\"\\$`").contains(command.at(i + 1))) {
                word += command.at(++i);
            } else {
                word += c;
            }
            continue;
        }
        if (c.isSpace()) {
            if (inWord)
                words << word;
            word.clear();
            inWord = false;
        } else if (c == u'\'') {
            quote = Single;
            inWord = true;
        } else if (c == u'"') {
            quote = Double;
            inWord = true;
        } else if (c == u'\\' && i + 1 < command.size()) {
            word += command.at(++i);
            inWord = true;
        } else {
            word += c;
            inWord = true;
        }
    }
    if (quote != None)
        return Error::make(Error::Code::Unprocessable,
                           QStringLiteral("unterminated %1 quote in command: %2")
                               .arg(quote == Single ? QStringLiteral("single") : QStringLiteral("double"), command));
    if (inWord)
        words << word;
    return words;
}

} // namespace cd::runners
