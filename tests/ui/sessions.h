#pragma once

#include "session/localsession.h"
#include "stack.h"
#include "testutil.h"

#include <QPalette>

#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace cd::ui {
class LogConsole;
}

namespace cdtest {

// The LocalSession the app builds, over a Stack's services (the app's wiring, on a test stack).
std::unique_ptr<cd::session::LocalSession>
localSession(Stack &st, cd::session::LocalSession::Answers answers = cd::session::LocalSession::Answers::Inline);

// One way to reach a Stack through a Session; the session tests run once per kind (a RemoteSession
// over the Stack's HTTP listener is another kind).
struct SessionKind
{
    std::string name;
    std::function<std::unique_ptr<cd::session::Session>(Stack &)> make;
    bool answersLater = false; // answers never arrive before the call returns
    bool listen = false;       // the stack must listen on loopback
};
std::vector<SessionKind> sessionKinds();
inline void PrintTo(const SessionKind &kind, std::ostream *os)
{
    *os << kind.name;
}

// Waits for a session's answer, running the event loop.
template<typename T>
std::optional<cd::Result<T>> await(const std::function<void(QObject *, cd::session::Reply<T>)> &call,
                                   int timeoutMs = 10000)
{
    QObject context;
    std::optional<cd::Result<T>> answer;
    call(&context, [&answer](cd::Result<T> r) { answer = std::move(r); });
    waitUntil([&] { return answer.has_value(); }, timeoutMs);
    return answer;
}

// Starts a console search (find, first error) and waits for its searchFinished; nullopt if it never came.
std::optional<bool> searched(cd::ui::LogConsole &console, const std::function<void()> &start, int timeoutMs = 10000);
// Runs an asynchronous row lookup of a model (find, firstError) and waits for its row; -2 if none came.
int rowFrom(const std::function<void(std::function<void(int)>)> &lookup, int timeoutMs = 10000);

// <build>/tests/screens, made if missing: where screen tests write PNGs for a person to look at.
QString screensDir();
// A dark palette over `base` for screens that must stay readable in both (disabled text included).
QPalette darkPalette(const QPalette &base);

} // namespace cdtest
