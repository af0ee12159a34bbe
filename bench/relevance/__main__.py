from bench.relevance.runner import main

main()
