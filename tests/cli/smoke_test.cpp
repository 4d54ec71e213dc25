#include <gtest/gtest.h>

#include "tests/cli/harness.h"

namespace aergo::clitest {

TEST(CliSmoke, InitStatusJson) {
  Sandbox sb;
  sb.InitRepo();
  RunResult r = sb.Run({"status", "--json"}, sb.repo());
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("\"branch\": \"master\""), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"height\": 0"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"detached\": false"), std::string::npos) << r.out;
}

}  // namespace aergo::clitest
