echo no interpreter line
# fails: This does not look like a batch script
