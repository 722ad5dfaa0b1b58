// Fails any test during which an N+1 is found, and installs the n1guard matchers.
// (Listing 'n1guard/vitest/setup' directly in setupFiles works as well.)
import 'n1guard/vitest/setup'
