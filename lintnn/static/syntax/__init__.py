"""The tree model: one libcst parse, indexed once, with imports, positions and dataflow.

Nothing here knows about training: these modules answer "what is this node, where is it,
what does this name hold", for the analyses and the rules above.
"""
