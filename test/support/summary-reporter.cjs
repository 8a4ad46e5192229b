// Lists every skipped test by name (a skip is never silent) and leaves the
// counts in $EW_TEST_SUMMARY for scripts/test.mjs, which prints the closing
// line "N passed, N failed, N skipped" after jest's own summary.
const { writeFileSync } = require('node:fs');

class SummaryReporter {
  onRunComplete(_contexts, results) {
    const skipped = [];
    for (const file of results.testResults) {
      for (const t of file.testResults) {
        if (t.status === 'pending' || t.status === 'skipped' || t.status === 'todo') skipped.push(t.fullName);
      }
    }
    if (skipped.length) {
      process.stderr.write(`\nSKIPPED tests (${skipped.length}):\n${skipped.map((n) => `  - ${n}`).join('\n')}\n`);
    }
    const failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
    const line = `${results.numPassedTests} passed, ${failed} failed, ${results.numPendingTests + results.numTodoTests} skipped`;
    if (process.env.EW_TEST_SUMMARY) writeFileSync(process.env.EW_TEST_SUMMARY, line);
  }
}
module.exports = SummaryReporter;
