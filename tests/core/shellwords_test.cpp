#include "runners/shellwords.h"

#include <gtest/gtest.h>

using cd::runners::splitShellWords;

TEST(ShellWords, SplitsLikeAPosixShellWithoutExpanding)
{
    EXPECT_EQ(splitShellWords(QStringLiteral("a  b\tc")).value(),
              (QStringList{QStringLiteral("a"), QStringLiteral("b"), QStringLiteral("c")}));
    EXPECT_EQ(splitShellWords(QStringLiteral("sh -c 'echo \"x y\"; exit 3'")).value(),
              (QStringList{QStringLiteral("sh"), QStringLiteral("-c"), QStringLiteral("echo \"x y\"; exit 3")}));
    EXPECT_EQ(splitShellWords(QStringLiteral("say \"a \\\"q\\\" $HOME\"")).value(),
              (QStringList{QStringLiteral("say"), QStringLiteral("a \"q\" $HOME")}));
    EXPECT_EQ(splitShellWords(QStringLiteral("a\\ b '' c")).value(),
              (QStringList{QStringLiteral("a b"), QString(), QStringLiteral("c")}));
    EXPECT_TRUE(splitShellWords(QStringLiteral("   ")).value().isEmpty());
    EXPECT_FALSE(splitShellWords(QStringLiteral("echo 'open")).ok());
    EXPECT_FALSE(splitShellWords(QStringLiteral("echo \"open")).ok());
}
